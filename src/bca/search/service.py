"""Search's rules: what a query asks (tokens), what each person may find (the repository's
scoped statements), how hits are ranked, cut into pages and shown (matched ranges).

Pages are offsets into a ranked list, per kind: a ranked order has no stable key to resume
after, and a search is read, not scrolled through thousands of hits (``MAX_OFFSET``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.core.pagination import InvalidCursor, decode_cursor, encode_cursor
from bca.profiles.models import Profile
from bca.search import repository
from bca.search.errors import SearchProfileNotFound
from bca.search.repository import Hit
from bca.search.schemas import SearchGroup, SearchHit, SearchKind, SearchResults
from bca.search.tokens import Query, matched_ranges, query_terms

MAX_OFFSET = 1000
"""How deep the pages of one kind go."""

ENTRY_KIND = {
    SearchKind.cards: "card",
    SearchKind.contacts: "contact",
    SearchKind.profiles: "profile",
}


async def tokenize_query(text: str) -> Query:
    """The query's tokens, off the event loop (Kiwi's first call loads its model)."""
    return await asyncio.to_thread(query_terms, text)


async def search(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    q: str,
    kinds: Sequence[SearchKind],
    chat_id: uuid.UUID | None,
    profile_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> SearchResults:
    offsets = {kind: 0 for kind in (kinds or list(SearchKind))}
    resumed = _decode(cursor)
    if resumed is not None:
        offsets = {resumed[0]: resumed[1]}
    if profile_id is not None:
        await _require_own_profile(session, user_id=user_id, profile_id=profile_id)
    query = await tokenize_query(q)
    results = SearchResults()
    for kind, offset in offsets.items():
        if query.empty:
            setattr(results, kind.value, SearchGroup(hits=[]))
            continue
        if kind is SearchKind.messages:
            hits = await repository.find_messages(
                session,
                user_id=user_id,
                query=query,
                chat_id=chat_id,
                profile_id=profile_id,
                offset=offset,
                limit=limit + 1,
            )
        elif chat_id is not None:
            hits = []  # only messages belong to a chat
        else:
            hits = await repository.find_entries(
                session,
                kind=ENTRY_KIND[kind],
                user_id=user_id,
                query=query,
                profile_id=profile_id,
                offset=offset,
                limit=limit + 1,
            )
        more = len(hits) > limit and offset + limit < MAX_OFFSET
        setattr(
            results,
            kind.value,
            SearchGroup(
                hits=[_shown(kind, hit, query) for hit in _distinct(hits[:limit])],
                next_cursor=encode_cursor([kind.value, offset + limit]) if more else None,
            ),
        )
    return results


async def matching_ids(
    session: AsyncSession, text: str, kinds: Sequence[str]
) -> Select[uuid.UUID] | None:
    """The ids of the entities of ``kinds`` whose entries match ``text`` (None: nothing to
    search for); other lists' ``q`` (``profiles.matching.TEXT_MATCHES``) add their own rules."""
    query = await tokenize_query(text)
    if query.empty:
        return None
    return repository.matching_entity_ids(session, query=query, kinds=kinds)


def _distinct(hits: list[Hit]) -> list[Hit]:
    """One hit per thing (a profile found both whole and by its name appears once)."""
    seen: set[tuple[object, ...]] = set()
    kept = []
    for hit in hits:
        key = (hit.entity_id, hit.chat_id, hit.index)
        if key not in seen:
            seen.add(key)
            kept.append(hit)
    return kept


def _shown(kind: SearchKind, hit: Hit, query: Query) -> SearchHit:
    return SearchHit(
        kind=kind,
        id=f"{hit.chat_id}:{hit.index}" if kind is SearchKind.messages else str(hit.entity_id),
        profile_id=hit.profile_id,
        chat_id=hit.chat_id,
        index=hit.index,
        text=hit.text,
        ranges=matched_ranges(hit.text, query),
        at=hit.created_at,
    )


def _decode(cursor: str | None) -> tuple[SearchKind, int] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        kind, offset = SearchKind(key[0]), int(key[1])
    except (ValueError, IndexError, TypeError):
        raise InvalidCursor() from None
    if len(key) != 2 or not 0 < offset <= MAX_OFFSET:
        raise InvalidCursor()
    return kind, offset


async def _require_own_profile(
    session: AsyncSession, *, user_id: uuid.UUID, profile_id: uuid.UUID
) -> None:
    found = await session.scalar(
        select(Profile.id).where(
            Profile.id == profile_id, Profile.user_id == user_id, Profile.deleted_at.is_(None)
        )
    )
    if found is None:
        raise SearchProfileNotFound()
