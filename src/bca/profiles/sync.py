"""Profiles and relations in offline sync: their entity specs and who hears about a change.

The change log only says "entity X may look different to user U"; ``/v1/sync/changes``
renders it as U sees it at read time. So a writer's one duty is to name every user who could
see the entity before *or* after the change (pass ``also=`` the users computed before a change
that removes someone's sight). Naming too many is harmless: at commit the log keeps only those
who saw it before or see it now.

A profile's visibility carries what hangs on it (its cards, relations, wallet entries, chats).
Other domains hang things on profiles and say how here (:data:`LINKS`, filled from their
manifests), so that the helpers below touch, *conditionally*, everything that may appear or
vanish with a profile without this module knowing those domains.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, or_, select, tuple_, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bca.accounts.models import User
from bca.core.domain import Slot
from bca.profiles.models import Profile, Relation
from bca.profiles.schemas import ProfileRead, ProfileSummary, RelationRead
from bca.profiles.visibility import Viewer, alive, candidates, held, level
from bca.sync.changelog import held_keys, record_change, touch
from bca.sync.entities import VIEWER, AnySelect, Data, EntitySpec, Row, columns_of, pair_key

# --- the entities ---------------------------------------------------------------------------


def _profiles(viewers: Any, ids: Any) -> AnySelect:
    viewer = aliased(User, name="viewer")
    profile = aliased(Profile, name="seen")
    who = Viewer(viewer.id, viewer)
    scope = profile.id.in_(candidates(VIEWER)) if ids is None else profile.id.in_(ids)
    return (
        select(viewer.id.label("viewer"), profile, level(who, profile).label("level"))
        .select_from(viewer)
        .join(profile, scope)
        .where(viewer.id.in_(viewers), held(who, profile))
    )


def _render_profile(row: Row, public_url: str) -> Data:
    profile: Profile = row["seen"]
    shown: ProfileRead | ProfileSummary
    if row["level"] == "limited":
        shown = ProfileSummary.from_row(profile, public_url=public_url)
    else:
        shown = ProfileRead.from_row(profile, mine=row["level"] == "mine", public_url=public_url)
    return shown.model_dump(mode="json")


def _relations(viewers: Any, ids: Any) -> AnySelect:
    """A relation A->B: both profiles alive and A mine, or B mine and not a block (a block
    never shows to the blocked)."""
    viewer = aliased(User, name="viewer")
    relation = aliased(Relation, name="seen_relation")
    source = aliased(Profile, name="source")
    target = aliased(Profile, name="target")
    who = Viewer(viewer.id, viewer)
    mine_out = relation.profile_id.in_(who.profiles())
    mine_in = and_(relation.target_id.in_(who.profiles()), relation.status != "block")
    scope = (
        or_(mine_out, mine_in)
        if ids is None
        else tuple_(relation.profile_id, relation.target_id).in_(ids)
    )
    return (
        select(viewer.id.label("viewer"), relation)
        .select_from(viewer)
        .join(relation, scope)
        .join(source, source.id == relation.profile_id)
        .join(target, target.id == relation.target_id)
        .where(viewer.id.in_(viewers), or_(mine_out, mine_in), alive(source), alive(target))
    )


def _relation_key(row: Row) -> str:
    relation: Relation = row["seen_relation"]
    return pair_key(relation.profile_id, relation.target_id)


def _render_relation(row: Row, _public_url: str) -> Data:
    return RelationRead.from_row(row["seen_relation"]).model_dump(mode="json")


PROFILE = EntitySpec(
    name="profile",
    table="profiles",
    columns=columns_of(ProfileRead, ProfileSummary),
    key="id",
    statement=_profiles,
    key_of=lambda row: str(row["seen"].id),
    render=_render_profile,
)
RELATION = EntitySpec(
    name="relation",
    table="relations",
    columns=columns_of(RelationRead),
    key="pair",
    statement=_relations,
    key_of=_relation_key,
    render=_render_relation,
    indexes=("target_id",),
)


# --- what hangs on profiles -----------------------------------------------------------------


@dataclass(frozen=True)
class ProfileLink:
    """How another domain's entities hang on profiles (cards in wallets, chats)."""

    watchers: Callable[[uuid.UUID], Select[uuid.UUID]]
    """(profile) -> the users who see the profile through this link."""
    reached_through: Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[set[uuid.UUID]]]
    """(profile, its owner): the profile appeared or vanished for its owner; touch what the
    owner reaches through it and return the profiles reached that way."""
    dependents: Callable[[AsyncSession, set[uuid.UUID], set[uuid.UUID]], Awaitable[None]] | None = (
        None
    )
    """(profiles, users) -> touch, conditionally, what hangs on these profiles for these
    users (their visibility may have flipped)."""
    deleted: Callable[[AsyncSession, uuid.UUID], Awaitable[None]] | None = None
    """(profile): the profile is gone; touch what changes for others with it."""


LINKS: Slot[ProfileLink] = Slot("profiles: links")
"""What other domains hang on profiles, plugged in by their manifests."""


async def users_watching_profile(session: AsyncSession, profile_id: uuid.UUID) -> set[uuid.UUID]:
    """The owner, both sides of its relations, and whoever sees it through a link."""
    related = select(Profile.user_id).join(
        Relation,
        or_(
            (Relation.profile_id == Profile.id) & (Relation.target_id == profile_id),
            (Relation.target_id == Profile.id) & (Relation.profile_id == profile_id),
        ),
    )
    owner = select(Profile.user_id).where(Profile.id == profile_id)
    linked = [link.watchers(profile_id) for link in LINKS]
    rows = await session.scalars(union(owner, related, *linked))
    return set(rows.all())


async def profile_dependents(
    session: AsyncSession, profile_ids: set[uuid.UUID], users: set[uuid.UUID]
) -> None:
    """These profiles may have appeared or vanished for these users: so may what hangs on them
    (the profile itself, relations touching it, and what the links hang on it)."""
    if not profile_ids or not users:
        return
    touch(
        session,
        user_ids=users,
        entity="profile",
        entity_ids=[str(p) for p in profile_ids],
        conditional=True,
    )
    relations = await session.execute(
        select(Relation.profile_id, Relation.target_id).where(
            or_(Relation.profile_id.in_(profile_ids), Relation.target_id.in_(profile_ids))
        )
    )
    relation_keys = {pair_key(a, b) for a, b in relations.all()}
    relation_keys |= await held_keys(
        session,
        users,
        "relation",
        prefixes=[f"{p}:" for p in profile_ids],
        suffixes=[f":{p}" for p in profile_ids],
    )
    touch(session, user_ids=users, entity="relation", entity_ids=relation_keys, conditional=True)
    for link in LINKS:
        if link.dependents is not None:
            await link.dependents(session, profile_ids, users)


async def _owner_view(session: AsyncSession, profile_id: uuid.UUID, owner: uuid.UUID) -> None:
    """One of ``owner``'s profiles appeared or vanished: everything reached through it may too
    (partners' profiles and what the links reach)."""
    partners: set[uuid.UUID] = set()
    relations = await session.execute(
        select(Relation.profile_id, Relation.target_id).where(
            or_(Relation.profile_id == profile_id, Relation.target_id == profile_id)
        )
    )
    for a, b in relations.all():
        partners.add(b if a == profile_id else a)
    for link in LINKS:
        partners |= await link.reached_through(session, profile_id, owner)
    partners.discard(profile_id)
    await profile_dependents(session, partners | {profile_id}, {owner})


# --- what writers call ----------------------------------------------------------------------


async def record_profile_change(
    session: AsyncSession, profile_id: uuid.UUID, *, also: Iterable[uuid.UUID] = ()
) -> set[uuid.UUID]:
    """Profile edited, created, deleted or its visibility changed. Returns who was told."""
    users = await users_watching_profile(session, profile_id) | set(also)
    await record_change(session, user_ids=users, entity="profile", entity_id=str(profile_id))
    await profile_dependents(session, {profile_id}, users)
    owner, deleted_at = (
        await session.execute(
            select(Profile.user_id, Profile.deleted_at).where(Profile.id == profile_id)
        )
    ).one_or_none() or (None, None)
    if owner is not None and deleted_at is not None:
        # One of the owner's own profiles is gone: so is what the owner reached through it.
        await _owner_view(session, profile_id, owner)
        for link in LINKS:
            if link.deleted is not None:
                await link.deleted(session, profile_id)
    return users


async def record_account_change(session: AsyncSession, user: User) -> None:
    """An account was deactivated (or came back): all its profiles vanish for everyone."""
    profile_ids = (
        await session.scalars(select(Profile.id).where(Profile.user_id == user.id))
    ).all()
    for profile_id in profile_ids:
        await record_profile_change(session, profile_id)


async def record_relation_change(
    session: AsyncSession, profile_id: uuid.UUID, target_id: uuid.UUID
) -> None:
    """A relation between two profiles was created, changed or removed (either direction).

    Both owners hear about the relation itself and about the other side's profile and what
    depends on it, whose visibility may have changed with it (follow of a private profile,
    block, ...).
    """
    owner_a = await profile_owner(session, profile_id)
    owner_b = await profile_owner(session, target_id)
    pair = {user for user in (owner_a, owner_b) if user is not None}
    for key in (pair_key(profile_id, target_id), pair_key(target_id, profile_id)):
        await record_change(session, user_ids=pair, entity="relation", entity_id=key)
    for viewer, seen in ((owner_a, target_id), (owner_b, profile_id)):
        if viewer is None:
            continue
        await record_change(session, user_ids=[viewer], entity="profile", entity_id=str(seen))
        await profile_dependents(session, {seen}, {viewer})


async def profile_owner(session: AsyncSession, profile_id: uuid.UUID) -> uuid.UUID | None:
    owner: uuid.UUID | None = await session.scalar(
        select(Profile.user_id).where(Profile.id == profile_id)
    )
    return owner
