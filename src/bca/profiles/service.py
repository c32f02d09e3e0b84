"""The rules of profiles (personas) and of the relations between them.

Every ``{me}`` is checked to be a live profile of the caller (404 otherwise: another user's
profile is not theirs to act as). Everything else is read through the visibility-scoped
queries of the repository, so a profile that is deleted, deactivated or on the other side of
a block is simply not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.backends import Backends
from bca.core.time import utcnow
from bca.core.versioning import IfMatch, bump, check_if_match
from bca.files import service as files_service
from bca.files.service import UploadSource
from bca.profiles import hooks, repository
from bca.profiles.errors import (
    Blocked,
    FollowRequestNotFound,
    NotYourProfile,
    ProfileLimitReached,
    ProfileNotFound,
    RelationNotFound,
    SelfRelation,
)
from bca.profiles.models import Profile, Relation
from bca.profiles.repository import BLOCK, FOLLOW, FOLLOW_REQUESTED
from bca.profiles.schemas import MAX_PROFILES_PER_USER, ProfileCreate, ProfileUpdate
from bca.profiles.sync import (
    record_profile_change,
    record_relation_change,
    users_watching_profile,
)
from bca.sync.changelog import record_change


@dataclass(frozen=True)
class ProfileView:
    """A profile as one user sees it: in full, or as the summary of a private profile."""

    profile: Profile
    full: bool
    mine: bool


async def create_first_profile(session: AsyncSession, user: User) -> None:
    """Every account starts with one profile, named after the nickname or username."""
    now = utcnow()
    name = user.nickname or user.username
    profile = Profile(user_id=user.id, name=name, created_at=now, updated_at=now)
    session.add(profile)
    await session.flush()
    await record_change(session, user_ids=[user.id], entity="profile", entity_id=str(profile.id))


async def live_profiles(
    session: AsyncSession, profile_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Profile]:
    """Profiles that exist for others (not deleted, owner active), by id, ignoring blocks."""
    return await repository.get_live_many(session, profile_ids)


async def relations_between(
    session: AsyncSession, profile_id: uuid.UUID, others: Sequence[uuid.UUID]
) -> list[Relation]:
    """Relations in both directions between one profile and each of ``others``."""
    return await repository.relations_between(session, profile_id, others)


async def require_own_profile(
    session: AsyncSession, *, user: User, profile_id: uuid.UUID, for_update: bool = False
) -> Profile:
    """The acting profile ``{me}``: a live profile of the caller, or 404."""
    return await own_profile(session, user_id=user.id, profile_id=profile_id, for_update=for_update)


async def own_profile(
    session: AsyncSession, *, user_id: uuid.UUID, profile_id: uuid.UUID, for_update: bool = False
) -> Profile:
    """:func:`require_own_profile` for a caller known by id."""
    profile = await repository.get_own(session, user_id, profile_id, for_update=for_update)
    if profile is None:
        raise ProfileNotFound()
    return profile


async def require_visible_profile(
    session: AsyncSession, *, user: User, profile_id: uuid.UUID
) -> ProfileView:
    found = await repository.get_visible(session, user.id, profile_id)
    if found is None:
        raise ProfileNotFound()
    profile, full = found
    return ProfileView(profile=profile, full=full, mine=profile.user_id == user.id)


async def _editable(
    session: AsyncSession, *, user: User, profile_id: uuid.UUID, if_match: IfMatch | None
) -> Profile:
    """404 when not visible, 403 when visible but someone else's, 412 when stale."""
    view = await require_visible_profile(session, user=user, profile_id=profile_id)
    if not view.mine:
        raise NotYourProfile()
    profile = await require_own_profile(session, user=user, profile_id=profile_id, for_update=True)
    check_if_match(if_match, profile.version)
    return profile


def _own_view(profile: Profile) -> ProfileView:
    return ProfileView(profile=profile, full=True, mine=True)


# --- profiles -------------------------------------------------------------------------------


async def create_profile(session: AsyncSession, *, user: User, data: ProfileCreate) -> ProfileView:
    await repository.lock_user(session, user.id)
    if await repository.count_active_profiles(session, user.id) >= MAX_PROFILES_PER_USER:
        raise ProfileLimitReached()
    now = utcnow()
    profile = Profile(user_id=user.id, created_at=now, updated_at=now, **data.model_dump())
    session.add(profile)
    await session.flush()
    await record_profile_change(session, profile.id)
    return _own_view(profile)


async def list_my_profiles(
    session: AsyncSession, *, user: User, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[ProfileView]:
    profiles = await repository.list_own(session, user.id, after=after, limit=limit)
    return [_own_view(profile) for profile in profiles]


async def search_profiles(
    session: AsyncSession,
    *,
    user: User,
    q: str,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[ProfileView]:
    rows = await repository.search(session, user.id, q=q, after=after, limit=limit)
    return [
        ProfileView(profile=profile, full=full, mine=profile.user_id == user.id)
        for profile, full in rows
    ]


async def update_profile(
    session: AsyncSession,
    *,
    user: User,
    profile_id: uuid.UUID,
    data: ProfileUpdate,
    if_match: IfMatch | None,
) -> ProfileView:
    profile = await _editable(session, user=user, profile_id=profile_id, if_match=if_match)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    changed = {key: value for key, value in changes.items() if getattr(profile, key) != value}
    if not changed:
        return _own_view(profile)
    for key, value in changed.items():
        setattr(profile, key, value)
    bump(profile)
    await session.flush()
    if changed.get("private") is False:
        # Nobody is left to approve the pending requests of a profile that turned public.
        for follower in await repository.grant_follow_requests(session, profile.id):
            await record_relation_change(session, follower, profile.id)
    await record_profile_change(session, profile.id)
    return _own_view(profile)


async def delete_profile(
    session: AsyncSession, *, user: User, profile_id: uuid.UUID, if_match: IfMatch | None
) -> None:
    """Soft-delete the profile; its cards, relations and wallet entries go with it."""
    profile = await _editable(session, user=user, profile_id=profile_id, if_match=if_match)
    await _remove(session, profile)


async def admin_delete_profile(session: AsyncSession, *, profile_id: uuid.UUID) -> Profile:
    """An operator's soft-delete of anyone's profile, with the owner's consequences."""
    profile = await repository.get_undeleted(session, profile_id)
    if profile is None:
        raise ProfileNotFound()
    await _remove(session, profile)
    return profile


async def _remove(session: AsyncSession, profile: Profile) -> None:
    """The profile, its relations, and what other domains hang on it (``hooks``)."""
    watchers = await users_watching_profile(session, profile.id)
    await repository.soft_delete(session, profile)
    removed_relations = await repository.delete_relations_of(session, profile.id)
    await record_profile_change(session, profile.id, also=watchers)
    await hooks.profile_removed(session, profile.id, watchers)
    for source, target in removed_relations:
        await record_relation_change(session, source, target)


async def set_profile_image(
    session: AsyncSession,
    backends: Backends,
    *,
    user: User,
    profile_id: uuid.UUID,
    source: UploadSource,
    if_match: IfMatch | None,
) -> ProfileView:
    profile = await files_service.replace_image(
        session,
        backends,
        user=user,
        source=source,
        purpose="profile_image",
        authorize=lambda: _editable(session, user=user, profile_id=profile_id, if_match=if_match),
        swap=files_service.image_swap("image_file_id", bump),
    )
    await record_profile_change(session, profile.id)
    return _own_view(profile)


# --- relations ------------------------------------------------------------------------------


async def set_relation(
    session: AsyncSession,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    target_id: uuid.UUID,
    status: str,
) -> Relation:
    """Follow, hide or block ``target_id`` as my profile ``my_profile_id``.

    Following a private profile asks its owner (``follow_requested``) unless the follow is
    already accepted. Blocking ends any follow between the two profiles, both ways, and the
    wallet entries each holds of the other's cards.
    """
    acting = await require_own_profile(session, user=user, profile_id=my_profile_id)
    target = await repository.get_live(session, target_id)
    if target is None:
        raise ProfileNotFound()
    if target.user_id == user.id:
        raise SelfRelation()
    if await repository.user_blocked_by(session, target.id, user.id):
        raise Blocked()
    if status != BLOCK and await repository.user_blocks_other_than(
        session, user.id, target.id, acting=acting.id
    ):
        # Another of my profiles blocks it: to this user the target does not exist, except
        # to block it from this profile as well.
        raise ProfileNotFound()

    existing = await repository.get_relation(session, acting.id, target.id)
    if status == FOLLOW and target.private:
        already = existing is not None and existing.status == FOLLOW
        status = FOLLOW if already else FOLLOW_REQUESTED
    relation = await repository.upsert_relation(session, acting.id, target.id, status)

    if status == BLOCK:
        await repository.delete_relation(
            session, target.id, acting.id, statuses=(FOLLOW, FOLLOW_REQUESTED)
        )
        await hooks.blocked(session, acting.id, target.id)
    await record_relation_change(session, acting.id, target.id)
    return relation


async def delete_relation(
    session: AsyncSession, *, user: User, my_profile_id: uuid.UUID, target_id: uuid.UUID
) -> None:
    acting = await require_own_profile(session, user=user, profile_id=my_profile_id)
    if not await repository.delete_relation(session, acting.id, target_id):
        raise RelationNotFound()
    await record_relation_change(session, acting.id, target_id)


async def list_relations(
    session: AsyncSession,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    status: str | None,
    towards_me: bool = False,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Relation]:
    """My profile's relations to others, or (``towards_me``) the follows and follow requests
    of others to it, both kinds unless ``status`` names one."""
    acting = await require_own_profile(session, user=user, profile_id=my_profile_id)
    if status is not None:
        statuses: tuple[str, ...] | None = (status,)
    else:
        statuses = (FOLLOW, FOLLOW_REQUESTED) if towards_me else None
    return await repository.list_relations(
        session, acting.id, towards_me=towards_me, statuses=statuses, after=after, limit=limit
    )


async def answer_follow_request(
    session: AsyncSession,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    requester: uuid.UUID,
    accept: bool,
) -> None:
    acting = await require_own_profile(session, user=user, profile_id=my_profile_id)
    relation = await repository.get_relation(session, requester, acting.id, for_update=True)
    if relation is None or relation.status != FOLLOW_REQUESTED:
        raise FollowRequestNotFound()
    if await repository.get_live(session, requester) is None:
        raise FollowRequestNotFound()
    if accept:
        relation.status = FOLLOW
        relation.updated_at = utcnow()
        await session.flush()
    else:
        await repository.delete_relation(session, requester, acting.id)
    await record_relation_change(session, requester, acting.id)
