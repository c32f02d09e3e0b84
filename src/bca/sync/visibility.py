"""What a user can see: the one definition shared by snapshots, ``/v1/sync/changes`` and writes.

A snapshot, a page of changes and the write-time bookkeeping of the change log all call the
statements below, so they cannot disagree about visibility. Each statement yields one row per
(viewer, visible entity) with the entity's columns; ``ids`` restricts it to given entities (the
changes of a page, the keys touched by a write) and ``ids=None`` lists everything one viewer
sees (a snapshot), generating candidates from the viewer's own profiles so that the cost stays
proportional to what the viewer sees, not to the size of the tables.

For a viewer U (see also the README's sync section):

- *my profiles*: U's profiles that are not deleted.
- a profile Q of someone else is visible when Q is not deleted, its owner is not deactivated,
  no block exists between Q and any of my profiles (either direction), and Q is reached by one
  of: a relation with one of my profiles (either direction, any status), a card of Q held in
  one of my profiles' wallets, or a chat where one of my profiles and Q both take part.
  Its projection is ``full`` when Q is public or one of my profiles follows it (status
  ``follow``), ``limited`` otherwise (only id, name, image and ``private`` are shown).
- a card is visible when it is not deleted, its profile is visible, and it is mine, or held in
  my wallet, or public on a profile I see in full.
- a relation A->B is visible when both profiles are alive (not deleted, owners active) and A
  is mine, or B is mine and the status is not ``block`` (a block never shows to the blocked).
- a subscription (P, C) is visible when P is mine and card C is visible to me.
- a chat is visible while one of my profiles takes part in it (has not left).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    TupleType,
    Uuid,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    union,
)
from sqlalchemy.orm import aliased

from bca.accounts.models import User
from bca.cards.models import Card, Subscription
from bca.chat.models import Chat, Participant
from bca.profiles.models import Profile, Relation

ENTITIES = ("profile", "relation", "card", "subscription", "chat")

AnySelect = Select[*tuple[Any, ...]]

Viewer = Any
"""The ``users`` alias standing for the viewer in the enclosing statement."""


def _mine(viewer: Viewer) -> Select[uuid.UUID]:
    """The viewer's live profiles. Correlated explicitly: it sits two subqueries deep, where
    SQL's automatic correlation would not reach and would silently mean "anyone's"."""
    own = aliased(Profile)
    return (
        select(own.id).where(own.user_id == viewer.id, own.deleted_at.is_(None)).correlate(viewer)
    )


def _alive(profile: Any) -> ColumnElement[bool]:
    owner = aliased(User)
    return and_(
        profile.deleted_at.is_(None),
        exists().where(owner.id == profile.user_id, owner.deactivated_at.is_(None)),
    )


def _all_mine(viewer: Viewer) -> Select[uuid.UUID]:
    own = aliased(Profile)
    return select(own.id).where(own.user_id == viewer.id).correlate(viewer)


def _blocked(viewer: Viewer, profile_id: Any) -> ColumnElement[bool]:
    """A block between the profile and any profile of the viewer (as ``profiles.repository``)."""
    out = aliased(Relation)
    into = aliased(Relation)
    return or_(
        exists().where(
            out.profile_id == profile_id,
            out.status == "block",
            out.target_id.in_(_all_mine(viewer)),
        ),
        exists().where(
            into.target_id == profile_id,
            into.status == "block",
            into.profile_id.in_(_all_mine(viewer)),
        ),
    )


def _reached(viewer: Viewer, profile_id: Any) -> ColumnElement[bool]:
    out = aliased(Relation)
    into = aliased(Relation)
    held = aliased(Subscription)
    held_card = aliased(Card)
    theirs = aliased(Participant)
    ours = aliased(Participant)
    return or_(
        exists().where(out.profile_id == profile_id, out.target_id.in_(_mine(viewer))),
        exists().where(into.target_id == profile_id, into.profile_id.in_(_mine(viewer))),
        exists().where(
            held_card.profile_id == profile_id,
            held_card.deleted_at.is_(None),
            held.card_id == held_card.id,
            held.profile_id.in_(_mine(viewer)),
        ),
        exists().where(
            theirs.profile_id == profile_id,
            theirs.left_at.is_(None),
            ours.chat_id == theirs.chat_id,
            ours.left_at.is_(None),
            ours.profile_id.in_(_mine(viewer)),
        ),
    )


def _followed(viewer: Viewer, profile_id: Any) -> ColumnElement[bool]:
    follow = aliased(Relation)
    return exists().where(
        follow.target_id == profile_id,
        follow.status == "follow",
        follow.profile_id.in_(_mine(viewer)),
    )


def _profile_visible(viewer: Viewer, profile: Any) -> ColumnElement[bool]:
    return and_(
        _alive(profile),
        or_(
            profile.user_id == viewer.id,
            and_(~_blocked(viewer, profile.id), _reached(viewer, profile.id)),
        ),
    )


def _profile_level(viewer: Viewer, profile: Any) -> ColumnElement[str]:
    return case(
        (profile.user_id == viewer.id, literal("mine")),
        (or_(profile.private.is_(False), _followed(viewer, profile.id)), literal("full")),
        else_=literal("limited"),
    )


def _profile_candidates(user_id: Any) -> Any:
    """Every profile id one viewer might see; the visibility predicate then filters them.

    Not correlated (the viewer is a constant here), so the database computes the set once
    instead of once per profile row.
    """
    own = aliased(Profile)
    out = aliased(Relation)
    into = aliased(Relation)
    held = aliased(Subscription)
    held_card = aliased(Card)
    theirs = aliased(Participant)
    ours = aliased(Participant)

    def mine() -> Select[uuid.UUID]:
        live = aliased(Profile)
        return select(live.id).where(live.user_id == user_id, live.deleted_at.is_(None))

    return union(
        select(own.id).where(own.user_id == user_id),
        select(out.target_id).where(out.profile_id.in_(mine())),
        select(into.profile_id).where(into.target_id.in_(mine())),
        select(held_card.profile_id)
        .join(held, held.card_id == held_card.id)
        .where(held.profile_id.in_(mine())),
        select(theirs.profile_id)
        .join(ours, ours.chat_id == theirs.chat_id)
        .where(ours.profile_id.in_(mine()), ours.left_at.is_(None), theirs.left_at.is_(None)),
    )


def _single(viewers: Collection[uuid.UUID]) -> uuid.UUID:
    if len(viewers) != 1:
        raise ValueError("listing everything visible is for one viewer at a time")
    return next(iter(viewers))


# The statements are built once per (entity, everything-or-some) with bind parameters and
# reused: building them is far costlier than running them (ORM aliasing and adaptation), and a
# write touching a card would otherwise spend most of its time here.
VIEWERS = bindparam("viewers", expanding=True, type_=Uuid())
VIEWER = bindparam("viewer", type_=Uuid())
IDS = bindparam("ids", expanding=True, type_=Uuid())
PAIRS = bindparam("pairs", expanding=True, type_=TupleType(Uuid(), Uuid()))
Scope = Any
"""``None`` for everything one viewer sees, else the bind parameter of the ids to check."""


def profiles(viewers: Any, ids: Scope) -> AnySelect:
    """Rows (viewer, Profile, level) for the visible profiles."""
    viewer = aliased(User, name="viewer")
    profile = aliased(Profile, name="seen")
    scope = profile.id.in_(_profile_candidates(VIEWER)) if ids is None else profile.id.in_(ids)
    return (
        select(viewer.id.label("viewer"), profile, _profile_level(viewer, profile).label("level"))
        .select_from(viewer)
        .join(profile, scope)
        .where(viewer.id.in_(viewers), _profile_visible(viewer, profile))
    )


def _card_visible(viewer: Viewer, card: Any, profile: Any) -> ColumnElement[bool]:
    held = aliased(Subscription)
    in_wallet = exists().where(held.card_id == card.id, held.profile_id.in_(_mine(viewer)))
    return and_(
        card.deleted_at.is_(None),
        _profile_visible(viewer, profile),
        or_(
            profile.user_id == viewer.id,
            in_wallet,
            and_(card.private.is_(False), _profile_level(viewer, profile) == "full"),
        ),
    )


def cards(viewers: Any, ids: Scope) -> AnySelect:
    """Rows (viewer, Card) for the visible cards."""
    viewer = aliased(User, name="viewer")
    card = aliased(Card, name="seen_card")
    profile = aliased(Profile, name="card_profile")
    scope: ColumnElement[bool] = (
        card.profile_id.in_(_profile_candidates(VIEWER)) if ids is None else card.id.in_(ids)
    )
    return (
        select(viewer.id.label("viewer"), card)
        .select_from(viewer)
        .join(card, scope)
        .join(profile, profile.id == card.profile_id)
        .where(viewer.id.in_(viewers), _card_visible(viewer, card, profile))
    )


def relations(viewers: Any, ids: Scope) -> AnySelect:
    """Rows (viewer, Relation) for the visible relations; ids are (profile_id, target_id)."""
    viewer = aliased(User, name="viewer")
    relation = aliased(Relation, name="seen_relation")
    source = aliased(Profile, name="source")
    target = aliased(Profile, name="target")
    mine_out = relation.profile_id.in_(_mine(viewer))
    mine_in = and_(relation.target_id.in_(_mine(viewer)), relation.status != "block")
    scope: ColumnElement[bool] = (
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
        .where(
            viewer.id.in_(viewers),
            or_(mine_out, mine_in),
            _alive(source),
            _alive(target),
        )
    )


def subscriptions(viewers: Any, ids: Scope) -> AnySelect:
    """Rows (viewer, Subscription) for the visible subscriptions; ids are (profile_id, card_id)."""
    viewer = aliased(User, name="viewer")
    subscription = aliased(Subscription, name="seen_subscription")
    card = aliased(Card, name="held_card")
    profile = aliased(Profile, name="held_profile")
    scope: ColumnElement[bool] = (
        true() if ids is None else tuple_(subscription.profile_id, subscription.card_id).in_(ids)
    )
    return (
        select(viewer.id.label("viewer"), subscription)
        .select_from(viewer)
        .join(subscription, and_(scope, subscription.profile_id.in_(_mine(viewer))))
        .join(card, card.id == subscription.card_id)
        .join(profile, profile.id == card.profile_id)
        .where(viewer.id.in_(viewers), _card_visible(viewer, card, profile))
    )


def chats(viewers: Any, ids: Scope) -> AnySelect:
    """Rows (viewer, Chat, my Participant, participant_count) for visible chats.

    What changes with every event (last index, unread count) is not part of sync: it travels
    with the events. A user taking part with two of their profiles gets two rows; the renderer
    keeps one.
    """
    viewer = aliased(User, name="viewer")
    chat = aliased(Chat, name="seen_chat")
    me = aliased(Participant, name="me")
    others = aliased(Participant, name="others")
    other_profile = aliased(Profile)
    # As the chat endpoints count: live participants.
    count = (
        select(func.count())
        .select_from(others)
        .join(other_profile, other_profile.id == others.profile_id)
        .where(others.chat_id == chat.id, others.left_at.is_(None), _alive(other_profile))
        .correlate(chat)
        .scalar_subquery()
    )
    scope: ColumnElement[bool] = true() if ids is None else chat.id.in_(ids)
    return (
        select(viewer.id.label("viewer"), chat, me, count.label("participant_count"))
        .select_from(viewer)
        .join(me, and_(me.profile_id.in_(_mine(viewer)), me.left_at.is_(None)))
        .join(chat, and_(chat.id == me.chat_id, scope))
        .where(viewer.id.in_(viewers))
    )


_BUILDERS = {
    "profile": (profiles, IDS),
    "card": (cards, IDS),
    "chat": (chats, IDS),
    "relation": (relations, PAIRS),
    "subscription": (subscriptions, PAIRS),
}


@functools.cache
def _template(entity: str, everything: bool) -> AnySelect:
    builder, ids = _BUILDERS[entity]
    return builder(VIEWERS, None if everything else ids)


def statement(
    entity: str, viewers: Collection[uuid.UUID], keys: Collection[str] | None
) -> tuple[AnySelect, dict[str, Any]]:
    """The visibility statement of ``entity`` for change-log keys (``None``: everything) and
    its parameters, to pass together to ``session.execute``."""
    from bca.sync.render import parse_id, parse_pair

    if entity not in _BUILDERS:
        raise ValueError(f"unknown entity {entity}")
    parameters: dict[str, Any] = {"viewers": list(viewers)}
    if keys is None:
        parameters["viewer"] = _single(viewers)
    elif entity in ("relation", "subscription"):
        parameters["pairs"] = [pair for pair in map(parse_pair, keys) if pair is not None]
    else:
        parameters["ids"] = [found for found in map(parse_id, keys) if found is not None]
    return _template(entity, keys is None), parameters


def visible_pairs(entity: str, rows: Any) -> set[tuple[uuid.UUID, str]]:
    """(viewer, change-log key) of each row of :func:`statement`."""
    from bca.sync.render import entity_key

    names = {
        "profile": "seen",
        "card": "seen_card",
        "relation": "seen_relation",
        "subscription": "seen_subscription",
        "chat": "seen_chat",
    }
    return {
        (row._mapping["viewer"], entity_key(entity, row._mapping[names[entity]])) for row in rows
    }
