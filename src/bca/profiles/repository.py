"""Every SQL statement of profiles and relations, scoped to what the viewing user may see
(the rule itself is ``bca.profiles.visibility``, shared with offline sync and the domains that
build on profiles, so that blocking hides everywhere by construction)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import AliasedClass

from bca.accounts.models import User
from bca.core.db import LIKE_ESCAPE, contains_pattern
from bca.core.pagination import keyset_after
from bca.core.time import utcnow
from bca.core.versioning import bump
from bca.profiles.matching import text_match
from bca.profiles.models import Profile, Relation
from bca.profiles.visibility import (
    Viewer,
    exists_for,
    full_view,
    owner_active,
    related_from,
)

FOLLOW = "follow"
FOLLOW_REQUESTED = "follow_requested"
HIDE = "hide"
BLOCK = "block"

ProfileEntity = type[Profile] | AliasedClass[Profile]


# --- profiles -------------------------------------------------------------------------------


async def lock_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Serialise a user's profile creations so the per-user limit holds under concurrency."""
    await session.execute(select(User.id).where(User.id == user_id).with_for_update())


async def count_active_profiles(session: AsyncSession, user_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Profile)
        .where(Profile.user_id == user_id, Profile.deleted_at.is_(None))
    )
    return int(count or 0)


async def get_visible(
    session: AsyncSession, viewer: uuid.UUID, profile_id: uuid.UUID
) -> tuple[Profile, bool] | None:
    """The profile and whether ``viewer`` sees it in full."""
    row = (
        await session.execute(
            select(Profile, full_view(Viewer(viewer)))
            .where(Profile.id == profile_id, exists_for(Viewer(viewer)))
            .execution_options(populate_existing=True)
        )
    ).first()
    return (row[0], bool(row[1])) if row else None


async def get_own(
    session: AsyncSession, owner: uuid.UUID, profile_id: uuid.UUID, *, for_update: bool = False
) -> Profile | None:
    """A live profile of ``owner``: the acting ``{me}`` of every endpoint that takes one.

    ``for_update`` locks the row (PostgreSQL) and refreshes it, so that a read-check-write of
    ``version`` cannot lose a concurrent update.
    """
    query = select(Profile).where(
        Profile.id == profile_id, Profile.user_id == owner, Profile.deleted_at.is_(None)
    )
    if for_update:
        query = query.with_for_update()
    profile: Profile | None = await session.scalar(query.execution_options(populate_existing=True))
    return profile


async def get_live(session: AsyncSession, profile_id: uuid.UUID) -> Profile | None:
    """A profile that is not deleted and whose owner is active, ignoring blocks."""
    profile: Profile | None = await session.scalar(
        select(Profile).where(
            Profile.id == profile_id, Profile.deleted_at.is_(None), owner_active()
        )
    )
    return profile


async def get_undeleted(session: AsyncSession, profile_id: uuid.UUID) -> Profile | None:
    """A profile that is not deleted, whoever owns it, locked for the change to come."""
    profile: Profile | None = await session.scalar(
        select(Profile)
        .where(Profile.id == profile_id, Profile.deleted_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return profile


async def list_own(
    session: AsyncSession,
    owner: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Profile]:
    query = select(Profile).where(Profile.user_id == owner, Profile.deleted_at.is_(None))
    query = query.where(keyset_after(Profile.created_at, Profile.id, after))
    return (
        await session.scalars(query.order_by(Profile.created_at, Profile.id).limit(limit))
    ).all()


async def search(
    session: AsyncSession,
    viewer: uuid.UUID,
    *,
    q: str,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[tuple[Profile, bool]]:
    """Visible profiles whose name (or, when the viewer may read it, team) matches ``q``:
    by the search index's tokens (``profiles.matching``; a profile seen in full by any of
    its fields then), or as a case-insensitive substring in a process without search.

    A private profile's fields are not part of its summary, so they are not matched either:
    a search must not reveal what the projection hides. Profiles the viewer hid are left out.
    """
    full = full_view(Viewer(viewer))
    match = text_match()
    matched: ColumnElement[bool]
    if match is not None:
        by_name = await match(session, q, ("profile_name",))
        by_field = await match(session, q, ("profile",))
        matched = (
            or_(Profile.id.in_(by_name), and_(full, Profile.id.in_(by_field)))
            if by_name is not None and by_field is not None
            else false()
        )
    else:
        pattern = contains_pattern(q.lower())
        matched = or_(
            func.lower(Profile.name).like(pattern, escape=LIKE_ESCAPE),
            and_(full, func.lower(Profile.team_name).like(pattern, escape=LIKE_ESCAPE)),
        )
    query = select(Profile, full).where(
        exists_for(Viewer(viewer)),
        matched,
        ~related_from(Viewer(viewer), Profile.id, HIDE),
    )
    query = query.where(keyset_after(Profile.created_at, Profile.id, after))
    rows = await session.execute(query.order_by(Profile.created_at, Profile.id).limit(limit))
    return [(row[0], bool(row[1])) for row in rows.all()]


async def soft_delete(session: AsyncSession, profile: Profile) -> None:
    now = utcnow()
    profile.deleted_at = now
    bump(profile, at=now)
    await session.flush()


# --- relations ------------------------------------------------------------------------------


async def get_relation(
    session: AsyncSession, profile_id: uuid.UUID, target_id: uuid.UUID, *, for_update: bool = False
) -> Relation | None:
    query = select(Relation).where(
        Relation.profile_id == profile_id, Relation.target_id == target_id
    )
    if for_update:
        query = query.with_for_update()
    relation: Relation | None = await session.scalar(
        query.execution_options(populate_existing=True)
    )
    return relation


async def user_blocked_by(session: AsyncSession, blocker: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether profile ``blocker`` blocks any profile of ``user_id``."""
    found = await session.scalar(
        select(func.count())
        .select_from(Relation)
        .where(
            Relation.profile_id == blocker,
            Relation.status == BLOCK,
            Relation.target_id.in_(Viewer(user_id).profiles(live=False)),
        )
    )
    return bool(found)


async def user_blocks_other_than(
    session: AsyncSession, user_id: uuid.UUID, target_id: uuid.UUID, *, acting: uuid.UUID
) -> bool:
    """Whether a profile of ``user_id`` other than ``acting`` blocks ``target_id``."""
    found = await session.scalar(
        select(func.count())
        .select_from(Relation)
        .where(
            Relation.target_id == target_id,
            Relation.status == BLOCK,
            Relation.profile_id.in_(Viewer(user_id).profiles(live=False)),
            Relation.profile_id != acting,
        )
    )
    return bool(found)


async def upsert_relation(
    session: AsyncSession, profile_id: uuid.UUID, target_id: uuid.UUID, status: str
) -> Relation:
    relation = await get_relation(session, profile_id, target_id, for_update=True)
    now = utcnow()
    if relation is None:
        relation = Relation(
            profile_id=profile_id,
            target_id=target_id,
            status=status,
            created_at=now,
            updated_at=now,
        )
        # A savepoint: a concurrent PUT of the same pair may win the insert; then update it.
        try:
            async with session.begin_nested():
                session.add(relation)
        except IntegrityError:
            relation = await get_relation(session, profile_id, target_id, for_update=True)
            if relation is None:
                raise
    if relation.status != status:
        relation.status = status
        relation.updated_at = now
    await session.flush()
    return relation


async def delete_relation(
    session: AsyncSession,
    profile_id: uuid.UUID,
    target_id: uuid.UUID,
    *,
    statuses: Sequence[str] | None = None,
) -> bool:
    query = delete(Relation).where(
        Relation.profile_id == profile_id, Relation.target_id == target_id
    )
    if statuses is not None:
        query = query.where(Relation.status.in_(statuses))
    removed = await session.execute(query.returning(Relation.profile_id))
    return removed.first() is not None


async def delete_relations_of(
    session: AsyncSession, profile_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Remove every relation from or to a profile; returns the removed pairs."""
    removed = await session.execute(
        delete(Relation)
        .where(or_(Relation.profile_id == profile_id, Relation.target_id == profile_id))
        .returning(Relation.profile_id, Relation.target_id)
    )
    return [(row[0], row[1]) for row in removed.all()]


async def grant_follow_requests(session: AsyncSession, target_id: uuid.UUID) -> list[uuid.UUID]:
    """A profile that turned public has nothing left to approve: pending requests become follows."""
    granted = await session.execute(
        update(Relation)
        .where(Relation.target_id == target_id, Relation.status == FOLLOW_REQUESTED)
        .values(status=FOLLOW, updated_at=utcnow())
        .returning(Relation.profile_id)
    )
    return [row[0] for row in granted.all()]


async def list_relations(
    session: AsyncSession,
    profile_id: uuid.UUID,
    *,
    towards_me: bool,
    statuses: Sequence[str] | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Relation]:
    """What ``profile_id`` thinks of others, blocks included (so they can be undone); or, with
    ``towards_me``, the relations pointing at it, which the caller limits to follows and follow
    requests (what others think of me in private is theirs). Either way only with profiles
    that still exist for anyone, in the order they were made."""
    own_side, other_side = (
        (Relation.target_id, Relation.profile_id)
        if towards_me
        else (Relation.profile_id, Relation.target_id)
    )
    other = aliased(Profile)
    query = (
        select(Relation)
        .join(other, other.id == other_side)
        .where(own_side == profile_id, other.deleted_at.is_(None), owner_active(other))
        .where(keyset_after(Relation.created_at, other_side, after))
    )
    if statuses is not None:
        query = query.where(Relation.status.in_(statuses))
    return (
        await session.scalars(query.order_by(Relation.created_at, other_side).limit(limit))
    ).all()


async def relations_between(
    session: AsyncSession, profile_id: uuid.UUID, others: Sequence[uuid.UUID]
) -> list[Relation]:
    """Relations in both directions between one profile and each of ``others``."""
    if not others:
        return []
    rows = await session.scalars(
        select(Relation).where(
            or_(
                and_(Relation.profile_id == profile_id, Relation.target_id.in_(others)),
                and_(Relation.target_id == profile_id, Relation.profile_id.in_(others)),
            )
        )
    )
    return list(rows.all())


async def get_live_many(
    session: AsyncSession, profile_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Profile]:
    """:func:`get_live` for several profiles at once."""
    if not profile_ids:
        return {}
    rows = await session.scalars(
        select(Profile).where(
            Profile.id.in_(profile_ids), Profile.deleted_at.is_(None), owner_active()
        )
    )
    return {profile.id: profile for profile in rows.all()}
