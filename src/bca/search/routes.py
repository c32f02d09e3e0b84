from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import SessionDep
from bca.core.http import problems
from bca.core.pagination import CURSOR_PATTERN
from bca.search import service
from bca.search.errors import InvalidKinds
from bca.search.schemas import SearchKind, SearchResults

router = APIRouter(prefix="/v1", tags=["search"])

DEFAULT_LIMIT = 20
MAX_LIMIT = 50


def parse_kinds(
    kinds: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Comma-separated: `messages`, `cards`, `contacts`, `profiles` (all of "
            "them by default).",
        ),
    ] = None,
) -> list[SearchKind]:
    if not kinds:
        return list(SearchKind)
    try:
        parsed = [SearchKind(kind.strip()) for kind in kinds.split(",") if kind.strip()]
    except ValueError:
        raise InvalidKinds() from None
    if not parsed:
        raise InvalidKinds()
    return list(dict.fromkeys(parsed))


@router.get("/search", response_model=SearchResults, responses=problems(404))
async def search(
    q: Annotated[str, Query(min_length=1, max_length=200, description="What to find")],
    user: CurrentUser,
    session: SessionDep,
    kinds: Annotated[list[SearchKind], Depends(parse_kinds)],
    chat_id: Annotated[uuid.UUID | None, Query(description="Messages of this chat alone")] = None,
    profile_id: Annotated[
        uuid.UUID | None, Query(description="What one of my profiles holds or took part in")
    ] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=200, pattern=CURSOR_PATTERN, description="A `next_cursor` of one kind"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> SearchResults:
    """Messages, cards, contacts and profiles I may see that match ``q`` (Korean, English or
    mixed: particles stripped, compounds found by their parts, initial consonants for names,
    any 4 digits of a phone number, an e-mail by its local part or domain). Each kind ranked
    (relevance, then recency) and paged on its own; ``cursor`` continues one kind."""
    return await service.search(
        session,
        user_id=user.id,
        q=q,
        kinds=kinds,
        chat_id=chat_id,
        profile_id=profile_id,
        cursor=cursor,
        limit=limit,
    )
