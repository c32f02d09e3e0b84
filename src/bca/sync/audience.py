"""Who must hear about a change: the users whose view of an entity may have changed.

Domains call the ``record_*`` helpers inside their writing transaction, *after* the change is
flushed. The change log only says "entity X may look different to user U"; ``/v1/sync/changes``
renders each touched entity as U sees it at read time (an upsert, or a delete when U can no
longer see it). So a writer's one duty is to name every user who could see the entity before
*or* after the change: pass ``also=`` the users computed before a change that removes someone's
sight (unfollow, block, leaving a chat, deleting).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from bca.cards.models import Card, Subscription
from bca.chat.models import Participant
from bca.profiles.models import Profile, Relation
from bca.sync.changelog import record_change


async def profile_owner(session: AsyncSession, profile_id: uuid.UUID) -> uuid.UUID | None:
    owner: uuid.UUID | None = await session.scalar(
        select(Profile.user_id).where(Profile.id == profile_id)
    )
    return owner


async def users_watching_profile(session: AsyncSession, profile_id: uuid.UUID) -> set[uuid.UUID]:
    """The owner, both sides of its relations, holders of its cards and its chat partners."""
    related = select(Profile.user_id).join(
        Relation,
        or_(
            (Relation.profile_id == Profile.id) & (Relation.target_id == profile_id),
            (Relation.target_id == Profile.id) & (Relation.profile_id == profile_id),
        ),
    )
    holders = (
        select(Profile.user_id)
        .join(Subscription, Subscription.profile_id == Profile.id)
        .join(Card, Card.id == Subscription.card_id)
        .where(Card.profile_id == profile_id)
    )
    my_chats = select(Participant.chat_id).where(
        Participant.profile_id == profile_id, Participant.left_at.is_(None)
    )
    partners = select(Participant.user_id).where(
        Participant.chat_id.in_(my_chats), Participant.left_at.is_(None)
    )
    owner = select(Profile.user_id).where(Profile.id == profile_id)
    rows = await session.scalars(union(owner, related, holders, partners))
    return set(rows.all())


async def record_profile_change(
    session: AsyncSession, profile_id: uuid.UUID, *, also: Iterable[uuid.UUID] = ()
) -> set[uuid.UUID]:
    """Profile edited, created, deleted or its visibility changed. Returns who was told."""
    users = await users_watching_profile(session, profile_id) | set(also)
    await record_change(
        session, user_ids=users, entity="profile", entity_id=str(profile_id), op="upsert"
    )
    return users


async def record_card_change(
    session: AsyncSession, card_id: uuid.UUID, *, also: Iterable[uuid.UUID] = ()
) -> None:
    """Card created, edited, privatised or deleted: everyone watching its profile."""
    profile_id = await session.scalar(select(Card.profile_id).where(Card.id == card_id))
    users = set(also)
    if profile_id is not None:
        users |= await users_watching_profile(session, profile_id)
    await record_change(session, user_ids=users, entity="card", entity_id=str(card_id), op="upsert")


async def _cards_of(session: AsyncSession, profile_id: uuid.UUID) -> list[uuid.UUID]:
    return list((await session.scalars(select(Card.id).where(Card.profile_id == profile_id))).all())


async def record_relation_change(
    session: AsyncSession, profile_id: uuid.UUID, target_id: uuid.UUID
) -> None:
    """A relation between two profiles was created, changed or removed (either direction).

    Both owners hear about the relation itself and about the other side's profile and cards,
    whose visibility may have changed with it (follow of a private profile, block, ...).
    """
    owner_a = await profile_owner(session, profile_id)
    owner_b = await profile_owner(session, target_id)
    pair = {user for user in (owner_a, owner_b) if user is not None}
    for key in (f"{profile_id}:{target_id}", f"{target_id}:{profile_id}"):
        await record_change(session, user_ids=pair, entity="relation", entity_id=key, op="upsert")
    for viewer, seen in ((owner_a, target_id), (owner_b, profile_id)):
        if viewer is None:
            continue
        await record_change(
            session, user_ids=[viewer], entity="profile", entity_id=str(seen), op="upsert"
        )
        for card_id in await _cards_of(session, seen):
            await record_change(
                session, user_ids=[viewer], entity="card", entity_id=str(card_id), op="upsert"
            )


async def record_subscription_change(
    session: AsyncSession, profile_id: uuid.UUID, card_id: uuid.UUID
) -> None:
    """A card entered or left a wallet: the holder sees the subscription, card and profile."""
    holder = await profile_owner(session, profile_id)
    card_profile = await session.scalar(select(Card.profile_id).where(Card.id == card_id))
    if holder is None:
        return
    await record_change(
        session,
        user_ids=[holder],
        entity="subscription",
        entity_id=f"{profile_id}:{card_id}",
        op="upsert",
    )
    await record_change(
        session, user_ids=[holder], entity="card", entity_id=str(card_id), op="upsert"
    )
    if card_profile is not None:
        await record_change(
            session, user_ids=[holder], entity="profile", entity_id=str(card_profile), op="upsert"
        )


async def chat_members(session: AsyncSession, chat_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(Participant.user_id).where(
            Participant.chat_id == chat_id, Participant.left_at.is_(None)
        )
    )
    return set(rows.all())


async def record_chat_change(
    session: AsyncSession, chat_id: uuid.UUID, *, also: Iterable[uuid.UUID] = ()
) -> None:
    """Chat created, renamed, muted, or its membership changed.

    Membership changes also change which profiles members can see (chat partners are
    visible), so every member hears about every member's profile; pass the departed user in
    ``also`` so that they learn the chat (and its partners) left their view.
    """
    members = await chat_members(session, chat_id) | set(also)
    await record_change(
        session, user_ids=members, entity="chat", entity_id=str(chat_id), op="upsert"
    )
    profiles = await session.scalars(
        select(Participant.profile_id).where(Participant.chat_id == chat_id)
    )
    for profile_id in profiles.all():
        await record_change(
            session, user_ids=members, entity="profile", entity_id=str(profile_id), op="upsert"
        )
