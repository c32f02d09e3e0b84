"""Who must hear about a change: the users whose view of an entity may have changed.

Domains call the ``record_*`` helpers inside their writing transaction, *after* the change is
flushed. The change log only says "entity X may look different to user U"; ``/v1/sync/changes``
renders each touched entity as U sees it at read time (an upsert, or a delete when U can no
longer see it). So a writer's one duty is to name every user who could see the entity before
*or* after the change: pass ``also=`` the users computed before a change that removes someone's
sight (unfollow, block, leaving a chat, deleting).

Naming too many users is harmless: at commit, ``bca.sync.changelog`` keeps only the users who
saw the entity before or see it now. The helpers also touch, *conditionally*, what depends on
the changed entity's visibility (a profile's cards, relations and wallet entries; the profiles
reachable through one of my profiles), so that a writer does not have to know those rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from bca.cards.models import Card, Subscription
from bca.chat.models import Participant
from bca.profiles.models import Profile, Relation
from bca.sync.changelog import record_change, touch
from bca.sync.models import HeldEntity
from bca.sync.render import pair_key


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


async def _held_keys(
    session: AsyncSession,
    users: set[uuid.UUID],
    entity: str,
    *,
    prefixes: Iterable[str] = (),
    suffixes: Iterable[str] = (),
) -> set[str]:
    """Keys of ``entity`` these users' copies hold, starting or ending as given.

    Rows that described an entity may be gone by the time a writer calls (relations and
    wallet entries are deleted, not soft-deleted); what the users hold still names them. The
    scan is bounded by what the users hold now, not by the history of the log.
    """
    patterns = [f"{prefix}%" for prefix in prefixes] + [f"%{suffix}" for suffix in suffixes]
    if not users or not patterns:
        return set()
    rows = await session.scalars(
        select(HeldEntity.entity_id)
        .where(
            HeldEntity.user_id.in_(sorted(users)),
            HeldEntity.entity == entity,
            or_(*(HeldEntity.entity_id.like(pattern) for pattern in patterns)),
        )
        .distinct()
    )
    return set(rows.all())


async def _profile_dependents(
    session: AsyncSession, profile_ids: set[uuid.UUID], users: set[uuid.UUID]
) -> None:
    """These profiles may have appeared or vanished for these users: so may what hangs on them
    (the profile itself, its cards, relations touching it, wallet entries holding its cards)."""
    if not profile_ids or not users:
        return
    touch(
        session,
        user_ids=users,
        entity="profile",
        entity_ids=[str(p) for p in profile_ids],
        conditional=True,
    )
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
    relations = await session.execute(
        select(Relation.profile_id, Relation.target_id).where(
            or_(Relation.profile_id.in_(profile_ids), Relation.target_id.in_(profile_ids))
        )
    )
    relation_keys = {pair_key(a, b) for a, b in relations.all()}
    relation_keys |= await _held_keys(
        session,
        users,
        "relation",
        prefixes=[f"{p}:" for p in profile_ids],
        suffixes=[f":{p}" for p in profile_ids],
    )
    touch(session, user_ids=users, entity="relation", entity_ids=relation_keys, conditional=True)
    wallet = await session.execute(
        select(Subscription.profile_id, Subscription.card_id).where(
            Subscription.card_id.in_(card_ids) if card_ids else Subscription.card_id.is_(None)
        )
    )
    wallet_keys = {pair_key(p, c) for p, c in wallet.all()}
    wallet_keys |= await _held_keys(
        session, users, "subscription", suffixes=[f":{c}" for c in card_ids]
    )
    touch(session, user_ids=users, entity="subscription", entity_ids=wallet_keys, conditional=True)


async def _owner_view(session: AsyncSession, profile_id: uuid.UUID, owner: uuid.UUID) -> None:
    """One of ``owner``'s profiles appeared or vanished: everything reached through it may too
    (partners' profiles, wallet entries it holds, its chats)."""
    partners: set[uuid.UUID] = set()
    relations = await session.execute(
        select(Relation.profile_id, Relation.target_id).where(
            or_(Relation.profile_id == profile_id, Relation.target_id == profile_id)
        )
    )
    for a, b in relations.all():
        partners.add(b if a == profile_id else a)
    held = await session.execute(
        select(Subscription.card_id, Card.profile_id)
        .join(Card, Card.id == Subscription.card_id)
        .where(Subscription.profile_id == profile_id)
    )
    wallet_keys = await _held_keys(session, {owner}, "subscription", prefixes=[f"{profile_id}:"])
    for card_id, card_profile in held.all():
        partners.add(card_profile)
        wallet_keys.add(pair_key(profile_id, card_id))
    touch(
        session, user_ids=[owner], entity="subscription", entity_ids=wallet_keys, conditional=True
    )
    chat_ids = list(
        (
            await session.scalars(
                select(Participant.chat_id).where(Participant.profile_id == profile_id)
            )
        ).all()
    )
    if chat_ids:
        touch(
            session,
            user_ids=[owner],
            entity="chat",
            entity_ids=[str(c) for c in chat_ids],
            conditional=True,
        )
        partners |= set(
            (
                await session.scalars(
                    select(Participant.profile_id).where(Participant.chat_id.in_(chat_ids))
                )
            ).all()
        )
    partners.discard(profile_id)
    await _profile_dependents(session, partners | {profile_id}, {owner})


async def record_profile_change(
    session: AsyncSession, profile_id: uuid.UUID, *, also: Iterable[uuid.UUID] = ()
) -> set[uuid.UUID]:
    """Profile edited, created, deleted or its visibility changed. Returns who was told."""
    users = await users_watching_profile(session, profile_id) | set(also)
    await record_change(
        session, user_ids=users, entity="profile", entity_id=str(profile_id), op="upsert"
    )
    await _profile_dependents(session, {profile_id}, users)
    owner, deleted_at = (
        await session.execute(
            select(Profile.user_id, Profile.deleted_at).where(Profile.id == profile_id)
        )
    ).one_or_none() or (None, None)
    if owner is not None and deleted_at is not None:
        # One of the owner's own profiles is gone: so is what the owner reached through it.
        await _owner_view(session, profile_id, owner)
        # Its chats lose a participant (counts show live profiles only).
        chat_ids = select(Participant.chat_id).where(Participant.profile_id == profile_id)
        members = await session.execute(
            select(Participant.chat_id, Participant.user_id).where(
                Participant.chat_id.in_(chat_ids)
            )
        )
        for chat_id, member in members.all():
            touch(session, user_ids=[member], entity="chat", entity_ids=[str(chat_id)])
    return users


async def record_account_change(session: AsyncSession, user_id: uuid.UUID) -> None:
    """An account was deactivated (or came back): all its profiles vanish for everyone."""
    profile_ids = (
        await session.scalars(select(Profile.id).where(Profile.user_id == user_id))
    ).all()
    for profile_id in profile_ids:
        await record_profile_change(session, profile_id)


async def record_card_change(
    session: AsyncSession, card_id: uuid.UUID, *, also: Iterable[uuid.UUID] = ()
) -> None:
    """Card created, edited, privatised or deleted: everyone watching its profile."""
    profile_id = await session.scalar(select(Card.profile_id).where(Card.id == card_id))
    users = set(also)
    if profile_id is not None:
        users |= await users_watching_profile(session, profile_id)
    await record_change(session, user_ids=users, entity="card", entity_id=str(card_id), op="upsert")
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
    wallet_keys |= await _held_keys(session, users, "subscription", suffixes=[f":{card_id}"])
    touch(session, user_ids=users, entity="subscription", entity_ids=wallet_keys, conditional=True)
    if profile_id is not None:
        # A card held in a wallet is a way to reach its profile.
        await _profile_dependents(session, {profile_id}, holder_users | set(also))


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
        await record_change(session, user_ids=pair, entity="relation", entity_id=key, op="upsert")
    for viewer, seen in ((owner_a, target_id), (owner_b, profile_id)):
        if viewer is None:
            continue
        await record_change(
            session, user_ids=[viewer], entity="profile", entity_id=str(seen), op="upsert"
        )
        await _profile_dependents(session, {seen}, {viewer})


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
        entity_id=pair_key(profile_id, card_id),
        op="upsert",
    )
    await record_change(
        session, user_ids=[holder], entity="card", entity_id=str(card_id), op="upsert"
    )
    if card_profile is not None:
        await _profile_dependents(session, {card_profile}, {holder})


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
    # Everyone who ever took part: a departed member must learn the chat left their view even
    # when the caller forgot ``also``; those who never saw it are filtered out at commit.
    everyone = await session.scalars(
        select(Participant.user_id).where(Participant.chat_id == chat_id)
    )
    members = set(everyone.all()) | set(also)
    await record_change(
        session, user_ids=members, entity="chat", entity_id=str(chat_id), op="upsert"
    )
    profiles = await session.scalars(
        select(Participant.profile_id).where(Participant.chat_id == chat_id)
    )
    await _profile_dependents(session, set(profiles.all()), members)
