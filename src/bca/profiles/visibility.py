"""Who sees which profile: the one definition, used by the API's queries and by offline sync.

Visibility is decided per *user*, not per acting profile: a user sees a profile unless it is
deleted, its owner is deactivated, or a block exists between it and any profile of the user
(in either direction). A profile is seen in full by its owner, by anyone when it is public,
and by accepted followers when it is private; everyone else sees its summary.

The clauses take a :class:`Viewer`: a user id (a request's user, bound as a parameter) or the
id column of an enclosing statement (sync decides for many viewers at once). Offline sync adds
one more condition, that the profile is *reached* (related, held in a wallet, met in a chat);
the domains that make such links plug them in here (:data:`REACHES`, from their manifests),
so that this module needs to know none of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, literal, or_, select, union
from sqlalchemy.orm import aliased

from bca.accounts.models import User
from bca.core.domain import Slot
from bca.profiles.models import Profile, Relation

FOLLOW = "follow"
BLOCK = "block"

ProfileEntity = Any
"""``Profile`` or an alias of it, as it appears in the enclosing statement."""

_OWNER = aliased(User, name="profile_owner")


@dataclass(frozen=True)
class Viewer:
    """The viewing user: ``id`` is a UUID (bound as a parameter) or a column; ``table`` is the
    enclosing statement's FROM that column belongs to."""

    id: Any
    table: Any = None

    def profiles(self, *, live: bool = True) -> Select[uuid.UUID]:
        """The viewer's profiles (``live``: not deleted). Correlated explicitly: these sit two
        subqueries deep, where SQL's automatic correlation would not reach and would silently
        mean "anyone's"."""
        own = aliased(Profile)
        query = select(own.id).where(own.user_id == self.id)
        if live:
            query = query.where(own.deleted_at.is_(None))
        return query.correlate(self.table) if self.table is not None else query


def owner_active(profile: ProfileEntity = Profile) -> ColumnElement[bool]:
    return exists().where(_OWNER.id == profile.user_id, _OWNER.deactivated_at.is_(None))


def alive(profile: ProfileEntity = Profile) -> ColumnElement[bool]:
    """The profile exists for others: not deleted, its owner not deactivated."""
    return and_(profile.deleted_at.is_(None), owner_active(profile))


def blocked(viewer: Viewer, profile_id: Any) -> ColumnElement[bool]:
    """A block between ``profile_id`` and any profile of the viewer, whoever blocked whom."""
    block = aliased(Relation)
    mine = viewer.profiles(live=False)
    return (
        exists()
        .where(
            block.status == BLOCK,
            or_(
                and_(block.profile_id == profile_id, block.target_id.in_(mine)),
                and_(block.target_id == profile_id, block.profile_id.in_(mine)),
            ),
        )
        .correlate_except(block)
    )


def related_from(viewer: Viewer, profile_id: Any, status: str) -> ColumnElement[bool]:
    """One of the viewer's live profiles relates to ``profile_id`` with ``status``."""
    relation = aliased(Relation)
    return (
        exists()
        .where(
            relation.target_id == profile_id,
            relation.status == status,
            relation.profile_id.in_(viewer.profiles()),
        )
        .correlate_except(relation)
    )


def exists_for(viewer: Viewer, profile: ProfileEntity = Profile) -> ColumnElement[bool]:
    """The profile exists for the viewer at all (possibly only as a private summary)."""
    return and_(alive(profile), or_(profile.user_id == viewer.id, ~blocked(viewer, profile.id)))


def full_view(viewer: Viewer, profile: ProfileEntity = Profile) -> ColumnElement[bool]:
    """The viewer may see every field: the owner, anyone for a public profile, or an accepted
    follower (from any of the viewer's live profiles) for a private one."""
    return or_(
        profile.user_id == viewer.id,
        profile.private.is_(False),
        related_from(viewer, profile.id, FOLLOW),
    )


def level(viewer: Viewer, profile: ProfileEntity) -> ColumnElement[str]:
    """``mine``, ``full`` or ``limited`` (the private summary)."""
    return case(
        (profile.user_id == viewer.id, literal("mine")),
        (full_view(viewer, profile), literal("full")),
        else_=literal("limited"),
    )


# --- reached: the profiles a user's offline copy holds ---------------------------------------

Reach = Callable[[Viewer, Any], ColumnElement[bool]]
"""(viewer, profile id) -> the viewer reaches that profile this way."""
Candidates = Callable[[Any], list[Select[uuid.UUID]]]
"""(user id) -> selects of the ids of the profiles the user reaches this way (a superset is
fine); all of them go into one flat UNION."""

REACHES: Slot[tuple[Reach, Candidates]] = Slot("profiles: reaches")
"""The ways a user reaches profiles (a relation, a card held in a wallet, a chat partner),
plugged in by the manifests."""


def by_relation(viewer: Viewer, profile_id: Any) -> ColumnElement[bool]:
    out = aliased(Relation)
    into = aliased(Relation)
    return or_(
        exists().where(out.profile_id == profile_id, out.target_id.in_(viewer.profiles())),
        exists().where(into.target_id == profile_id, into.profile_id.in_(viewer.profiles())),
    )


def related_to(user_id: Any) -> list[Select[uuid.UUID]]:
    mine = Viewer(user_id).profiles()
    out = aliased(Relation)
    into = aliased(Relation)
    return [
        select(out.target_id).where(out.profile_id.in_(mine)),
        select(into.profile_id).where(into.target_id.in_(mine)),
    ]


RELATION_REACH = (by_relation, related_to)


def reached(viewer: Viewer, profile_id: Any) -> ColumnElement[bool]:
    return or_(*(reach(viewer, profile_id) for reach, _ in REACHES))


def held(viewer: Viewer, profile: ProfileEntity) -> ColumnElement[bool]:
    """The profile is in the viewer's offline copy: their own, or alive, not blocked either
    way, and reached."""
    return and_(
        alive(profile),
        or_(
            profile.user_id == viewer.id,
            and_(~blocked(viewer, profile.id), reached(viewer, profile.id)),
        ),
    )


def candidates(user_id: Any) -> Any:
    """Every profile id one user might hold (not correlated: the user is a constant, so the
    database computes the set once instead of once per profile row)."""
    own = aliased(Profile)
    selects = [select(own.id).where(own.user_id == user_id)]
    for _, candidates_of in REACHES:
        selects += candidates_of(user_id)
    return union(*selects)


def profile_image(viewer: uuid.UUID, file_id: Any) -> ColumnElement[bool]:
    """A profile's image, to whoever the profile exists for."""
    return exists(
        select(Profile.id).where(Profile.image_file_id == file_id, exists_for(Viewer(viewer)))
    )
