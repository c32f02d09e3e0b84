"""The relevance set (``tests/search/relevance.py``) through the index of each database:
recall ≥ 0.95 and precision ≥ 0.90, asserted on SQLite (FTS5) and PostgreSQL (GIN).

The documents go into the index tables with the application's tokens; each query runs the
repository's own token match (``repository.matching``), without the visibility rules (those
have tests of their own): this measures the tokens and the databases' use of them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.search import repository
from bca.search.models import SearchEntry, SearchMessage
from bca.search.tokens import index_terms_of, query_terms
from tests.search.relevance import build, score

pytestmark = pytest.mark.rules

RECALL = 0.95
PRECISION = 0.90


async def index_corpus(session: AsyncSession, corpus: uuid.UUID) -> None:
    """Write the documents as index rows of the profile ``corpus`` (messages by their
    document number, the others by a uuid5 of it)."""
    relevance = build()
    at = datetime(2026, 12, 1, tzinfo=UTC)
    chat = uuid.uuid4()
    for document in relevance.documents:
        terms = index_terms_of([document.text])
        if document.kind == "message":
            await session.execute(
                insert(SearchMessage).values(
                    chat_id=chat,
                    message_index=document.id + 1,
                    valid_from=document.id + 1,
                    profile_id=corpus,
                    created_at=at,
                    text=document.text,
                    terms=terms,
                )
            )
        else:
            await session.execute(
                insert(SearchEntry).values(
                    kind=document.kind,
                    entity_id=uuid.uuid5(corpus, str(document.id)),
                    profile_id=corpus,
                    text=document.text,
                    terms=terms,
                    updated_at=at,
                )
            )


async def found_documents(
    session: AsyncSession, corpus: uuid.UUID, text: str, by_entity: dict[uuid.UUID, int]
) -> set[int]:
    query = query_terms(text)
    if query.empty:
        return set()
    found: set[int] = set()
    source, where, _ = repository.matching(session, SearchMessage, query)
    indexes = await session.scalars(
        select(SearchMessage.message_index)
        .select_from(source)
        .where(where, SearchMessage.profile_id == corpus)
    )
    found |= {index - 1 for index in indexes}
    source, where, _ = repository.matching(session, SearchEntry, query)
    entities = await session.scalars(
        select(SearchEntry.entity_id)
        .select_from(source)
        .where(where, SearchEntry.profile_id == corpus)
    )
    found |= {by_entity[entity_id] for entity_id in entities}
    return found


async def test_the_relevance_set_is_found_with_high_recall_and_precision(
    db_session: AsyncSession,
) -> None:
    relevance = build()
    assert len(relevance.cases) >= 200
    corpus = uuid.uuid4()
    await index_corpus(db_session, corpus)
    by_entity = {uuid.uuid5(corpus, str(doc.id)): doc.id for doc in relevance.documents}
    results = [
        await found_documents(db_session, corpus, case.query, by_entity) for case in relevance.cases
    ]
    measured = score(relevance.cases, results)
    print(f"recall {measured.recall:.3f} precision {measured.precision:.3f}")
    for family, (recall, precision) in sorted(measured.by_family.items()):
        print(f"  {family}: recall {recall:.3f} precision {precision:.3f}")
    for miss in measured.misses:
        print("  not exact:", miss)
    assert measured.recall >= RECALL
    assert measured.precision >= PRECISION
