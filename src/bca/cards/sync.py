"""Cards and wallet entries in offline sync: their entity specs and who hears about a change.

A card held in a wallet is also a way to reach its profile: plugged into profiles by the
manifest, as a reach (which profiles a user holds) and as a link (what hangs on a profile).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bca.accounts.models import User
from bca.cards.models import Card, Subscription
from bca.cards.schemas import CardRead, SubscriptionEntry
from bca.cards.visibility import card_visible
from bca.profiles.models import Profile
from bca.profiles.sync import (
    ProfileLink,
    profile_dependents,
    users_watching_profile,
)
from bca.profiles.visibility import Viewer, candidates, held
from bca.sync.changelog import held_keys, record_change, touch
from bca.sync.entities import VIEWER, AnySelect, Data, EntitySpec, Row, columns_of, pair_key

# --- the entities ---------------------------------------------------------------------------


def _cards(viewers: Any, ids: Any) -> AnySelect:
    """A card (not deleted) of a profile the viewer holds that is the viewer's, in their
    wallet, or public on a profile they see in full."""
    viewer = aliased(User, name="viewer")
    card = aliased(Card, name="seen_card")
    profile = aliased(Profile, name="card_profile")
    who = Viewer(viewer.id, viewer)
    scope: ColumnElement[bool] = (
        card.profile_id.in_(candidates(VIEWER)) if ids is None else card.id.in_(ids)
    )
    return (
        select(viewer.id.label("viewer"), card)
        .select_from(viewer)
        .join(card, scope)
        .join(profile, profile.id == card.profile_id)
        .where(viewer.id.in_(viewers), card_visible(who, card, profile, profile_rule=held))
    )


def _render_card(row: Row, public_url: str) -> Data:
    return CardRead.from_row(row["seen_card"], public_url=public_url).model_dump(mode="json")


def _subscriptions(viewers: Any, ids: Any) -> AnySelect:
    """A wallet entry of one of the viewer's profiles whose card the viewer sees."""
    viewer = aliased(User, name="viewer")
    subscription = aliased(Subscription, name="seen_subscription")
    card = aliased(Card, name="held_card")
    profile = aliased(Profile, name="held_profile")
    who = Viewer(viewer.id, viewer)
    scope: ColumnElement[bool] = (
        true() if ids is None else tuple_(subscription.profile_id, subscription.card_id).in_(ids)
    )
    return (
        select(viewer.id.label("viewer"), subscription)
        .select_from(viewer)
        .join(subscription, and_(scope, subscription.profile_id.in_(who.profiles())))
        .join(card, card.id == subscription.card_id)
        .join(profile, profile.id == card.profile_id)
        .where(viewer.id.in_(viewers), card_visible(who, card, profile, profile_rule=held))
    )


def _subscription_key(row: Row) -> str:
    entry: Subscription = row["seen_subscription"]
    return pair_key(entry.profile_id, entry.card_id)


def _render_subscription(row: Row, _public_url: str) -> Data:
    return SubscriptionEntry.from_row(row["seen_subscription"]).model_dump(mode="json")


CARD = EntitySpec(
    name="card",
    table="cards",
    columns=columns_of(CardRead),
    key="id",
    statement=_cards,
    key_of=lambda row: str(row["seen_card"].id),
    render=_render_card,
    indexes=("profile_id",),
)
SUBSCRIPTION = EntitySpec(
    name="subscription",
    table="subscriptions",
    columns=columns_of(SubscriptionEntry),
    key="pair",
    statement=_subscriptions,
    key_of=_subscription_key,
    render=_render_subscription,
)


# --- a wallet reaches the profile of each card it holds -------------------------------------


def _reaches_by_wallet(viewer: Viewer, profile_id: Any) -> ColumnElement[bool]:
    held_entry = aliased(Subscription)
    held_card = aliased(Card)
    return exists().where(
        held_card.profile_id == profile_id,
        held_card.deleted_at.is_(None),
        held_entry.card_id == held_card.id,
        held_entry.profile_id.in_(viewer.profiles()),
    )


def _reached_by_wallet(user_id: Any) -> list[Select[uuid.UUID]]:
    held_entry = aliased(Subscription)
    held_card = aliased(Card)
    return [
        select(held_card.profile_id)
        .join(held_entry, held_entry.card_id == held_card.id)
        .where(held_entry.profile_id.in_(Viewer(user_id).profiles()))
    ]


def _holders_of_cards_of(profile_id: uuid.UUID) -> Select[uuid.UUID]:
    return (
        select(Profile.user_id)
        .join(Subscription, Subscription.profile_id == Profile.id)
        .join(Card, Card.id == Subscription.card_id)
        .where(Card.profile_id == profile_id)
    )


async def _cards_and_wallets_of(
    session: AsyncSession, profile_ids: set[uuid.UUID], users: set[uuid.UUID]
) -> None:
    """The cards of these profiles, and the wallet entries holding them."""
    card_ids = list(
        (await session.scalars(select(Card.id).where(Card.profile_id.in_(profile_ids)))).all()
    )
    touch(
        session,
        user_ids=users,
        entity="card",
        entity_ids=[str(c) for c in card_ids],
        conditional=True,
    )
    wallet = await session.execute(
        select(Subscription.profile_id, Subscription.card_id).where(
            Subscription.card_id.in_(card_ids) if card_ids else Subscription.card_id.is_(None)
        )
    )
    wallet_keys = {pair_key(p, c) for p, c in wallet.all()}
    wallet_keys |= await held_keys(
        session, users, "subscription", suffixes=[f":{c}" for c in card_ids]
    )
    touch(session, user_ids=users, entity="subscription", entity_ids=wallet_keys, conditional=True)


async def _wallet_of(
    session: AsyncSession, profile_id: uuid.UUID, owner: uuid.UUID
) -> set[uuid.UUID]:
    """The wallet entries the profile holds; returns the profiles of their cards."""
    held_rows = await session.execute(
        select(Subscription.card_id, Card.profile_id)
        .join(Card, Card.id == Subscription.card_id)
        .where(Subscription.profile_id == profile_id)
    )
    wallet_keys = await held_keys(session, {owner}, "subscription", prefixes=[f"{profile_id}:"])
    reached: set[uuid.UUID] = set()
    for card_id, card_profile in held_rows.all():
        reached.add(card_profile)
        wallet_keys.add(pair_key(profile_id, card_id))
    touch(
        session, user_ids=[owner], entity="subscription", entity_ids=wallet_keys, conditional=True
    )
    return reached


WALLET_REACH = (_reaches_by_wallet, _reached_by_wallet)
"""A card held in a wallet reaches its profile (``bca.profiles.visibility.REACHES``)."""
WALLET_LINK = ProfileLink(
    watchers=_holders_of_cards_of,
    dependents=_cards_and_wallets_of,
    reached_through=_wallet_of,
)
"""Cards and wallet entries hang on profiles (``bca.profiles.sync.LINKS``)."""


# --- what writers call ----------------------------------------------------------------------


async def record_card_change(
    session: AsyncSession, card_id: uuid.UUID, *, also: Iterable[uuid.UUID] = ()
) -> None:
    """Card created, edited, privatised or deleted: everyone watching its profile."""
    profile_id = await session.scalar(select(Card.profile_id).where(Card.id == card_id))
    users = set(also)
    if profile_id is not None:
        users |= await users_watching_profile(session, profile_id)
    await record_change(session, user_ids=users, entity="card", entity_id=str(card_id))
    holders = await session.execute(
        select(Subscription.profile_id, Profile.user_id)
        .join(Profile, Profile.id == Subscription.profile_id)
        .where(Subscription.card_id == card_id)
    )
    holder_users: set[uuid.UUID] = set()
    wallet_keys: set[str] = set()
    for holder_profile, holder_user in holders.all():
        holder_users.add(holder_user)
        wallet_keys.add(pair_key(holder_profile, card_id))
    wallet_keys |= await held_keys(session, users, "subscription", suffixes=[f":{card_id}"])
    touch(session, user_ids=users, entity="subscription", entity_ids=wallet_keys, conditional=True)
    if profile_id is not None:
        # A card held in a wallet is a way to reach its profile.
        await profile_dependents(session, {profile_id}, holder_users | set(also))


async def record_subscription_change(
    session: AsyncSession, profile_id: uuid.UUID, card_id: uuid.UUID
) -> None:
    """A card entered or left a wallet: the holder sees the subscription, card and profile."""
    holder = await session.scalar(select(Profile.user_id).where(Profile.id == profile_id))
    card_profile = await session.scalar(select(Card.profile_id).where(Card.id == card_id))
    if holder is None:
        return
    await record_change(
        session,
        user_ids=[holder],
        entity="subscription",
        entity_id=pair_key(profile_id, card_id),
    )
    await record_change(session, user_ids=[holder], entity="card", entity_id=str(card_id))
    if card_profile is not None:
        await profile_dependents(session, {card_profile}, {holder})
