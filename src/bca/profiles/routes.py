from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep, SettingsDep
from bca.core.http import IfMatchDep, PageDep, problems, tagged
from bca.core.pagination import Page, PageParams, time_key
from bca.files.http import REPLACE_IMAGE_ROUTE, UploadDep
from bca.profiles import service
from bca.profiles.models import Relation
from bca.profiles.schemas import (
    FollowerStatus,
    ProfileCreate,
    ProfileOut,
    ProfileRead,
    ProfileSummary,
    ProfileUpdate,
    RelationRead,
    RelationStatus,
    RelationUpdate,
)
from bca.profiles.service import ProfileView
from bca.settings import Settings

router = APIRouter(prefix="/v1", tags=["profiles"])

NO_CONTENT: dict[str, Any] = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}


def profile_out(view: ProfileView, settings: Settings) -> ProfileRead | ProfileSummary:
    if not view.full:
        return ProfileSummary.from_row(view.profile, public_url=settings.public_url)
    return ProfileRead.from_row(view.profile, mine=view.mine, public_url=settings.public_url)


def _with_etag(view: ProfileView, settings: Settings, response: Response) -> ProfileOut:
    """A full view has an entity tag; a private profile's summary has no version to show."""
    body = profile_out(view, settings)
    return tagged(response, view.profile, body) if view.full else body


def _profiles_page(
    views: list[ProfileView], page: PageParams, settings: Settings
) -> Page[ProfileRead | ProfileSummary]:
    return page.cut(
        views,
        key=lambda view: time_key(view.profile),
        item=lambda view: profile_out(view, settings),
    )


def _by_target(relation: Relation) -> list[str]:
    return [relation.created_at.isoformat(), str(relation.target_id)]


def _by_follower(relation: Relation) -> list[str]:
    return [relation.created_at.isoformat(), str(relation.profile_id)]


# --- profiles -------------------------------------------------------------------------------


@router.post("/profiles", status_code=201, response_model=ProfileRead, responses=problems(409))
async def create_profile(
    data: ProfileCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> ProfileOut:
    view = await service.create_profile(session, user=user, data=data)
    return _with_etag(view, settings, response)


@router.get("/profiles", response_model=Page[ProfileRead])
async def list_my_profiles(
    user: CurrentUser, session: SessionDep, settings: SettingsDep, page: PageDep
) -> Page[ProfileRead | ProfileSummary]:
    views = await service.list_my_profiles(
        session, user=user, after=page.after, limit=page.fetch_limit
    )
    return _profiles_page(views, page, settings)


@router.get("/profiles/search", response_model=Page[ProfileOut])
async def search_profiles(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    q: Annotated[str, Query(min_length=2, max_length=100)],
) -> Page[ProfileRead | ProfileSummary]:
    """Visible profiles whose name (or any field, for a profile seen in full) matches ``q``
    by search's tokens (particles stripped, parts of compounds, initial consonants, Latin
    without case or accents; see ``GET /v1/search``).

    Private profiles match on their name only, and appear as their summary; profiles you
    hid (from any of your profiles) are left out.
    """
    views = await service.search_profiles(
        session, user=user, q=q.strip(), after=page.after, limit=page.fetch_limit
    )
    return _profiles_page(views, page, settings)


@router.get("/profiles/{profile_id}", response_model=ProfileOut, responses=problems(404))
async def get_profile(
    profile_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> ProfileOut:
    view = await service.require_visible_profile(session, user=user, profile_id=profile_id)
    return _with_etag(view, settings, response)


@router.patch(
    "/profiles/{profile_id}", response_model=ProfileRead, responses=problems(403, 404, 412)
)
async def update_profile(
    profile_id: uuid.UUID,
    data: ProfileUpdate,
    if_match: IfMatchDep,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> ProfileOut:
    view = await service.update_profile(
        session, user=user, profile_id=profile_id, data=data, if_match=if_match
    )
    return _with_etag(view, settings, response)


@router.delete("/profiles/{profile_id}", **NO_CONTENT, responses=problems(403, 404, 412))
async def delete_profile(
    profile_id: uuid.UUID, if_match: IfMatchDep, user: CurrentUser, session: SessionDep
) -> None:
    await service.delete_profile(session, user=user, profile_id=profile_id, if_match=if_match)


@router.put("/profiles/{profile_id}/image", response_model=ProfileRead, **REPLACE_IMAGE_ROUTE)
async def set_profile_image(
    profile_id: uuid.UUID,
    source: UploadDep,
    if_match: IfMatchDep,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
    response: Response,
) -> ProfileOut:
    """Upload the profile's image (PNG, JPEG, GIF or WebP; re-encoded, metadata dropped)."""
    view = await service.set_profile_image(
        session, backends, user=user, profile_id=profile_id, source=source, if_match=if_match
    )
    return _with_etag(view, backends.settings, response)


# --- relations ------------------------------------------------------------------------------


@router.put(
    "/profiles/{me}/relations/{target}", response_model=RelationRead, responses=problems(403, 404)
)
async def set_relation(
    me: uuid.UUID, target: uuid.UUID, data: RelationUpdate, user: CurrentUser, session: SessionDep
) -> RelationRead:
    """Follow, hide or block ``target`` as my profile ``me``.

    Following a private profile gives ``follow_requested`` until its owner accepts. Blocking
    ends follows both ways and hides each profile from the other's owner.
    """
    relation = await service.set_relation(
        session, user=user, my_profile_id=me, target_id=target, status=data.status
    )
    return RelationRead.from_row(relation)


@router.delete("/profiles/{me}/relations/{target}", **NO_CONTENT, responses=problems(404))
async def delete_relation(
    me: uuid.UUID, target: uuid.UUID, user: CurrentUser, session: SessionDep
) -> None:
    await service.delete_relation(session, user=user, my_profile_id=me, target_id=target)


@router.get("/profiles/{me}/relations", response_model=Page[RelationRead], responses=problems(404))
async def list_relations(
    me: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    page: PageDep,
    relation_status: Annotated[RelationStatus | None, Query(alias="status")] = None,
) -> Page[RelationRead]:
    relations = await service.list_relations(
        session,
        user=user,
        my_profile_id=me,
        status=relation_status,
        after=page.after,
        limit=page.fetch_limit,
    )
    return page.cut(relations, key=_by_target, item=RelationRead.from_row)


@router.get("/profiles/{me}/followers", response_model=Page[RelationRead], responses=problems(404))
async def list_followers(
    me: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    page: PageDep,
    follower_status: Annotated[FollowerStatus | None, Query(alias="status")] = None,
) -> Page[RelationRead]:
    """Relations pointing at ``me``: accepted follows and pending requests (both by default)."""
    relations = await service.list_relations(
        session,
        user=user,
        my_profile_id=me,
        status=follower_status,
        towards_me=True,
        after=page.after,
        limit=page.fetch_limit,
    )
    return page.cut(relations, key=_by_follower, item=RelationRead.from_row)


@router.post("/profiles/{me}/followers/{requester}/accept", **NO_CONTENT, responses=problems(404))
async def accept_follower(
    me: uuid.UUID, requester: uuid.UUID, user: CurrentUser, session: SessionDep
) -> None:
    await service.answer_follow_request(
        session, user=user, my_profile_id=me, requester=requester, accept=True
    )


@router.post("/profiles/{me}/followers/{requester}/reject", **NO_CONTENT, responses=problems(404))
async def reject_follower(
    me: uuid.UUID, requester: uuid.UUID, user: CurrentUser, session: SessionDep
) -> None:
    await service.answer_follow_request(
        session, user=user, my_profile_id=me, requester=requester, accept=False
    )
