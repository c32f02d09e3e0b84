"""Reading the search index as one user may (writing and erasing it: ``index_writes``).

The token match is the database's own index: PostgreSQL ``tokens @@ tsquery`` (GIN),
SQLite ``<table>_fts MATCH`` (FTS5); everything else (who may see what) is the same
statement on both. The visibility rules:

- **messages**: of chats the user takes or took part in, within each membership's window
  (``joined_index..left_index``, the current one open-ended), as the text was at the end of
  the window (a version valid then); a deleted message has no version at all;
- **cards**: not deleted, their profile there for the user (not blocked), and the user's own
  or held in a wallet of one of the user's live profiles;
- **contacts**: not deleted, kept by one of the user's live profiles;
- **profiles**: alive and not blocked either way; every field when the user sees it in full
  (theirs, public, or followed), the name alone of a private one they relate to otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    desc,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

from bca.cards.models import Card, Subscription
from bca.cards.visibility import held_by
from bca.chat.models import Participant, PastMembership
from bca.contacts.models import Contact
from bca.profiles.models import Profile
from bca.profiles.visibility import Viewer, by_relation, exists_for, full_view
from bca.search.models import SearchEntry, SearchMessage
from bca.search.tokens import Query

MESSAGE_KINDS = ("message", "message_edited", "message_deleted")


@dataclass(frozen=True)
class Hit:
    """One row found: what the service renders."""

    kind: str
    entity_id: uuid.UUID | None
    profile_id: uuid.UUID
    text: str
    rank: float
    chat_id: uuid.UUID | None = None
    index: int | None = None
    created_at: datetime | None = None


# --- the token match, per database -----------------------------------------------------------


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def tsquery_of(query: Query) -> str:
    """PostgreSQL's tsquery text: quoted lexemes (no parser), ``:*`` for prefixes."""
    terms = [f"'{term}'" for term in query.required] + [f"'{term}':*" for term in query.prefixes]
    return " & ".join(terms)


def rank_tsquery_of(query: Query) -> str:
    """The rank's tsquery: the required tokens or the whole words (a text that has the word
    as a word, not only its letters, ranks higher)."""
    terms = [f"'{term}'" for term in [*query.required, *query.words]]
    terms += [f"'{term}':*" for term in query.prefixes]
    return " | ".join(terms)


def fts5_match_of(query: Query) -> str:
    """FTS5's MATCH text: every token as a string (all required), prefixes with ``*``."""
    terms = [f'"{term}"' for term in query.required] + [f'"{term}"*' for term in query.prefixes]
    return " ".join(terms)


def matching(session: AsyncSession, indexed: Any, query: Query) -> tuple[Any, Any, Any]:
    """(FROM, WHERE, rank: smaller first) of the rows of ``indexed`` whose tokens match."""
    name = indexed.__tablename__
    where: ColumnElement[bool] | TextClause
    if is_postgres(session):
        tokens: ColumnElement[Any] = literal_column(f"{name}.tokens")
        where = tokens.op("@@")(func.to_tsquery(literal_column("'simple'"), tsquery_of(query)))
        rank = -func.ts_rank(
            tokens, func.to_tsquery(literal_column("'simple'"), rank_tsquery_of(query))
        )
        return indexed, where, rank
    fts = table(f"{name}_fts", column("rowid"))
    source = fts.join(indexed, indexed.id == fts.c.rowid)
    where = text(f"{name}_fts MATCH :match").bindparams(match=fts5_match_of(query))
    return source, where, literal_column(f"bm25({name}_fts)")


# --- reads -----------------------------------------------------------------------------------


def windows_of(user_id: uuid.UUID, profile_id: uuid.UUID | None) -> Any:
    """The user's reading windows of every chat: (chat, first index, last index or None)."""
    current = select(
        Participant.chat_id.label("chat_id"),
        Participant.joined_index.label("first"),
        Participant.left_index.label("last"),
    ).where(Participant.user_id == user_id)
    past = select(
        PastMembership.chat_id.label("chat_id"),
        PastMembership.joined_index.label("first"),
        PastMembership.left_index.label("last"),
    ).where(PastMembership.user_id == user_id)
    if profile_id is not None:
        current = current.where(Participant.profile_id == profile_id)
        past = past.where(PastMembership.profile_id == profile_id)
    return union_all(current, past).subquery("windows")


def messages_statement(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    query: Query,
    chat_id: uuid.UUID | None,
    profile_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> Select[Any]:
    """The versions of messages the user may find that match, best first."""
    source, where, rank = matching(session, SearchMessage, query)
    window = windows_of(user_id, profile_id)
    message = SearchMessage
    statement = (
        select(
            message.chat_id,
            message.message_index,
            message.profile_id,
            message.text,
            message.created_at,
            rank.label("rank"),
        )
        .select_from(source)
        .join(
            window,
            and_(
                window.c.chat_id == message.chat_id,
                message.message_index >= window.c.first,
                or_(
                    # The current membership: the current text.
                    and_(window.c["last"].is_(None), message.valid_until.is_(None)),
                    # A membership that ended: the text as it was then.
                    and_(
                        message.message_index <= window.c["last"],
                        message.valid_from <= window.c["last"],
                        or_(
                            message.valid_until.is_(None),
                            message.valid_until > window.c["last"],
                        ),
                    ),
                ),
            ),
        )
        .where(where)
        .order_by(rank, desc(message.created_at), message.chat_id, message.message_index)
        .offset(offset)
        .limit(limit)
    )
    if chat_id is not None:
        statement = statement.where(message.chat_id == chat_id)
    return statement


async def find_messages(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    query: Query,
    chat_id: uuid.UUID | None,
    profile_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> list[Hit]:
    statement = messages_statement(
        session,
        user_id=user_id,
        query=query,
        chat_id=chat_id,
        profile_id=profile_id,
        offset=offset,
        limit=limit,
    )
    rows = await session.execute(statement)
    return [
        Hit(
            kind="message",
            entity_id=None,
            chat_id=row.chat_id,
            index=row.message_index,
            profile_id=row.profile_id,
            text=row.text,
            created_at=row.created_at,
            rank=float(row.rank or 0),
        )
        for row in rows
    ]


def _entries(
    session: AsyncSession, query: Query, visible: ColumnElement[bool], *kinds: str
) -> tuple[Select[Any], Any]:
    source, where, rank = matching(session, SearchEntry, query)
    statement = (
        select(
            SearchEntry.kind,
            SearchEntry.entity_id,
            SearchEntry.profile_id,
            SearchEntry.text,
            SearchEntry.updated_at,
            rank.label("rank"),
        )
        .select_from(source)
        .where(where, SearchEntry.kind.in_(kinds), visible)
    )
    return statement, rank


def card_rule(viewer: Viewer, profile_id: uuid.UUID | None) -> ColumnElement[bool]:
    """The entry's card is mine or in my wallet (of ``profile_id`` alone, when given)."""
    mine = Profile.user_id == viewer.id
    held = held_by(viewer, Card.id)
    if profile_id is not None:
        mine = Card.profile_id == profile_id
        held = Card.id.in_(
            select(Subscription.card_id).where(Subscription.profile_id == profile_id)
        )
    return (
        select(Card.id)
        .join(Profile, Profile.id == Card.profile_id)
        .where(
            Card.id == SearchEntry.entity_id,
            Card.deleted_at.is_(None),
            exists_for(viewer),
            or_(mine, held),
        )
        .exists()
    )


def contact_rule(viewer: Viewer, profile_id: uuid.UUID | None) -> ColumnElement[bool]:
    keepers = (
        viewer.profiles()
        if profile_id is None
        else select(Profile.id).where(Profile.id == profile_id)
    )
    return (
        select(Contact.id)
        .where(
            Contact.id == SearchEntry.entity_id,
            Contact.deleted_at.is_(None),
            Contact.profile_id.in_(keepers),
        )
        .exists()
    )


def profile_rule(viewer: Viewer) -> ColumnElement[bool]:
    """Every field of a profile seen in full; the name of a private one the user relates to."""
    seen = select(Profile.id).where(Profile.id == SearchEntry.entity_id, exists_for(viewer))
    return or_(
        and_(SearchEntry.kind == "profile", seen.where(full_view(viewer)).exists()),
        and_(
            SearchEntry.kind == "profile_name",
            seen.where(
                Profile.private.is_(True),
                ~full_view(viewer),
                by_relation(viewer, Profile.id),
            ).exists(),
        ),
    )


def entries_statement(
    session: AsyncSession,
    *,
    kind: str,
    user_id: uuid.UUID,
    query: Query,
    profile_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> Select[Any]:
    """The entries of ``kind`` (card, contact, profile) the user may find that match."""
    viewer = Viewer(user_id)
    if kind == "card":
        statement, rank = _entries(session, query, card_rule(viewer, profile_id), "card")
    elif kind == "contact":
        statement, rank = _entries(session, query, contact_rule(viewer, profile_id), "contact")
    else:
        statement, rank = _entries(session, query, profile_rule(viewer), "profile", "profile_name")
    return (
        statement.order_by(rank, desc(SearchEntry.updated_at), SearchEntry.entity_id)
        .offset(offset)
        .limit(limit)
    )


async def find_entries(
    session: AsyncSession,
    *,
    kind: str,
    user_id: uuid.UUID,
    query: Query,
    profile_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> list[Hit]:
    statement = entries_statement(
        session,
        kind=kind,
        user_id=user_id,
        query=query,
        profile_id=profile_id,
        offset=offset,
        limit=limit,
    )
    rows = await session.execute(statement)
    return [
        Hit(
            kind=kind,
            entity_id=row.entity_id,
            profile_id=row.profile_id,
            text=row.text,
            created_at=row.updated_at,
            rank=float(row.rank or 0),
        )
        for row in rows
    ]


def matching_entity_ids(
    session: AsyncSession, *, query: Query, kinds: Sequence[str]
) -> Select[uuid.UUID]:
    """The ids of the entities of ``kinds`` whose tokens match (no visibility: for the ``q``
    of lists that add their own)."""
    source, where, _ = matching(session, SearchEntry, query)
    return (
        select(SearchEntry.entity_id).select_from(source).where(where, SearchEntry.kind.in_(kinds))
    )
