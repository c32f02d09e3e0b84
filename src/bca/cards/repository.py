"""Every SQL statement of cards, share links and subscriptions, scoped to the viewing user
(the rule itself is ``bca.cards.visibility``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bca.cards.models import Card, CardEmailVerification, CardShareLink, Subscription
from bca.cards.visibility import card_visible
from bca.core.pagination import keyset_after
from bca.core.time import utcnow
from bca.profiles.models import Profile
from bca.profiles.visibility import Viewer, exists_for, owner_active

MAX_CARDS_PER_PROFILE = 100


# --- cards ----------------------------------------------------------------------------------


async def get_visible(
    session: AsyncSession, viewer: uuid.UUID, card_id: uuid.UUID
) -> tuple[Card, Profile] | None:
    row = (
        await session.execute(
            select(Card, Profile)
            .join(Profile, Profile.id == Card.profile_id)
            .where(Card.id == card_id, card_visible(Viewer(viewer)))
            .execution_options(populate_existing=True)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def lock(session: AsyncSession, card_id: uuid.UUID) -> Card | None:
    """The live card, locked and refreshed, for a read-check-write of ``version``."""
    card: Card | None = await session.scalar(
        select(Card)
        .where(Card.id == card_id, Card.deleted_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return card


async def count_live(session: AsyncSession, profile_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Card)
        .where(Card.profile_id == profile_id, Card.deleted_at.is_(None))
    )
    return int(count or 0)


async def list_of_profile(
    session: AsyncSession,
    viewer: uuid.UUID,
    profile_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Card]:
    query = (
        select(Card)
        .join(Profile, Profile.id == Card.profile_id)
        .where(Card.profile_id == profile_id, card_visible(Viewer(viewer)))
    )
    query = query.where(keyset_after(Card.created_at, Card.id, after))
    return (await session.scalars(query.order_by(Card.created_at, Card.id).limit(limit))).all()


async def live_ids_of_profile(session: AsyncSession, profile_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(Card.id).where(Card.profile_id == profile_id, Card.deleted_at.is_(None))
    )
    return list(rows.all())


async def soft_delete(session: AsyncSession, card_ids: Sequence[uuid.UUID]) -> None:
    if not card_ids:
        return
    now = utcnow()
    await session.execute(
        update(Card)
        .where(Card.id.in_(card_ids), Card.deleted_at.is_(None))
        .values(deleted_at=now, updated_at=now, version=Card.version + 1)
        .execution_options(synchronize_session="fetch")
    )


# --- share links ----------------------------------------------------------------------------


async def active_link(session: AsyncSession, card_id: uuid.UUID) -> CardShareLink | None:
    link: CardShareLink | None = await session.scalar(
        select(CardShareLink)
        .where(CardShareLink.card_id == card_id, CardShareLink.revoked_at.is_(None))
        .order_by(CardShareLink.created_at.desc())
        .limit(1)
    )
    return link


async def add_link(session: AsyncSession, card_id: uuid.UUID, token: str) -> CardShareLink:
    link = CardShareLink(card_id=card_id, token=token, created_at=utcnow())
    session.add(link)
    await session.flush()
    return link


async def revoke_links(session: AsyncSession, card_ids: Sequence[uuid.UUID]) -> None:
    if not card_ids:
        return
    await session.execute(
        update(CardShareLink)
        .where(CardShareLink.card_id.in_(card_ids), CardShareLink.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def find_shared(session: AsyncSession, token: str) -> tuple[Card, Profile] | None:
    """The card behind a live share link. The link is a capability: it shows the card to
    anyone, private or not, as long as the card, its profile and its owner are live."""
    row = (
        await session.execute(
            select(Card, Profile)
            .join(CardShareLink, CardShareLink.card_id == Card.id)
            .join(Profile, Profile.id == Card.profile_id)
            .where(
                CardShareLink.token == token,
                CardShareLink.revoked_at.is_(None),
                Card.deleted_at.is_(None),
                Profile.deleted_at.is_(None),
                owner_active(Profile),
            )
        )
    ).first()
    return (row[0], row[1]) if row else None


# --- subscriptions --------------------------------------------------------------------------

Pair = tuple[uuid.UUID, uuid.UUID]


async def get_subscription(
    session: AsyncSession, profile_id: uuid.UUID, card_id: uuid.UUID
) -> Subscription | None:
    return await session.get(Subscription, (profile_id, card_id), populate_existing=True)


async def add_subscription(
    session: AsyncSession, profile_id: uuid.UUID, card_id: uuid.UUID, *, via_share_link: bool
) -> tuple[Subscription, bool]:
    """Insert the wallet entry, or return the existing one; ``True`` when it is new.

    A savepoint guards the insert so that a concurrent PUT of the same entry (a retrying
    client) ends as "existing" instead of an error.
    """
    existing = await get_subscription(session, profile_id, card_id)
    if existing is None:
        subscription = Subscription(
            profile_id=profile_id,
            card_id=card_id,
            subscribed_at=utcnow(),
            via_share_link=via_share_link,
        )
        try:
            async with session.begin_nested():
                session.add(subscription)
            return subscription, True
        except IntegrityError:
            existing = await get_subscription(session, profile_id, card_id)
            if existing is None:
                raise
    if via_share_link and not existing.via_share_link:
        existing.via_share_link = True
        await session.flush()
    return existing, False


async def delete_subscription(
    session: AsyncSession, profile_id: uuid.UUID, card_id: uuid.UUID
) -> bool:
    removed = await session.execute(
        delete(Subscription)
        .where(Subscription.profile_id == profile_id, Subscription.card_id == card_id)
        .returning(Subscription.card_id)
    )
    return removed.first() is not None


async def _delete_returning(session: AsyncSession, *conditions: Any) -> list[Pair]:
    removed = await session.execute(
        delete(Subscription)
        .where(*conditions)
        .returning(Subscription.profile_id, Subscription.card_id)
        .execution_options(synchronize_session=False)
    )
    return [(row[0], row[1]) for row in removed.all()]


async def delete_subscriptions_of_cards(
    session: AsyncSession, card_ids: Sequence[uuid.UUID]
) -> list[Pair]:
    if not card_ids:
        return []
    return await _delete_returning(session, Subscription.card_id.in_(card_ids))


async def delete_subscriptions_lost_by_privatising(
    session: AsyncSession, card_id: uuid.UUID, *, owner: uuid.UUID
) -> list[Pair]:
    """Entries that were not made through a share link leave the wallets of everyone but
    the owner: a private card is visible only to its owner and those who hold it by link."""
    return await _delete_returning(
        session,
        Subscription.card_id == card_id,
        Subscription.via_share_link.is_(False),
        Subscription.profile_id.not_in(Viewer(owner).profiles()),
    )


async def delete_subscriptions_held_by(session: AsyncSession, profile_id: uuid.UUID) -> list[Pair]:
    return await _delete_returning(session, Subscription.profile_id == profile_id)


async def delete_subscriptions_between(
    session: AsyncSession, first: uuid.UUID, second: uuid.UUID
) -> list[Pair]:
    """Each profile's wallet entries of the other one's cards (a block ends them)."""
    removed: list[Pair] = []
    for holder, owner in ((first, second), (second, first)):
        cards_of_owner = select(Card.id).where(Card.profile_id == owner)
        removed += await _delete_returning(
            session,
            Subscription.profile_id == holder,
            Subscription.card_id.in_(cards_of_owner),
        )
    return removed


async def list_subscriptions(
    session: AsyncSession,
    viewer: uuid.UUID,
    profile_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[tuple[Subscription, Card]]:
    query = (
        select(Subscription, Card)
        .join(Card, Card.id == Subscription.card_id)
        .join(Profile, Profile.id == Card.profile_id)
        .where(Subscription.profile_id == profile_id, card_visible(Viewer(viewer)))
    )
    query = query.where(keyset_after(Subscription.subscribed_at, Subscription.card_id, after))
    rows = await session.execute(
        query.order_by(Subscription.subscribed_at, Subscription.card_id).limit(limit)
    )
    return [(row[0], row[1]) for row in rows.all()]


async def list_subscribers(
    session: AsyncSession,
    viewer: uuid.UUID,
    card_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Subscription]:
    holder = aliased(Profile)
    query = (
        select(Subscription)
        .join(holder, holder.id == Subscription.profile_id)
        .where(Subscription.card_id == card_id, exists_for(Viewer(viewer), holder))
    )
    query = query.where(keyset_after(Subscription.subscribed_at, Subscription.profile_id, after))
    return (
        await session.scalars(
            query.order_by(Subscription.subscribed_at, Subscription.profile_id).limit(limit)
        )
    ).all()


# --- email verifications --------------------------------------------------------------------


async def replace_pending_verification(
    session: AsyncSession, verification: CardEmailVerification
) -> None:
    """The new code and link of (card, address) replace any earlier ones."""
    await session.execute(
        delete(CardEmailVerification).where(
            CardEmailVerification.card_id == verification.card_id,
            CardEmailVerification.email == verification.email,
        )
    )
    session.add(verification)
    await session.flush()


async def pending_verification(
    session: AsyncSession, card_id: uuid.UUID, email: str
) -> CardEmailVerification | None:
    found: CardEmailVerification | None = await session.scalar(
        select(CardEmailVerification)
        .where(CardEmailVerification.card_id == card_id, CardEmailVerification.email == email)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def verification_by_token(
    session: AsyncSession, token_hash: str, *, now: datetime, lock: bool
) -> CardEmailVerification | None:
    """The live verification a mailed link names (found by its hash, never compared)."""
    statement = select(CardEmailVerification).where(
        CardEmailVerification.token_hash == token_hash, CardEmailVerification.expires_at > now
    )
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    found: CardEmailVerification | None = await session.scalar(statement)
    return found


async def delete_verifications(
    session: AsyncSession, card_id: uuid.UUID, *, keep: Sequence[str] | None = None
) -> None:
    """The card's pending verifications, but those of the addresses in ``keep``."""
    statement = delete(CardEmailVerification).where(CardEmailVerification.card_id == card_id)
    if keep is not None:
        statement = statement.where(CardEmailVerification.email.not_in(keep))
    await session.execute(statement)


async def delete_verification(session: AsyncSession, verification_id: uuid.UUID) -> None:
    await session.execute(
        delete(CardEmailVerification).where(CardEmailVerification.id == verification_id)
    )


async def purge_stale_verifications(session: AsyncSession, *, before: datetime) -> int:
    result = await session.execute(
        delete(CardEmailVerification).where(CardEmailVerification.expires_at <= before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def lock_cards_with_expired_badges(
    session: AsyncSession, *, now: datetime, limit: int
) -> Sequence[Card]:
    return (
        await session.scalars(
            select(Card)
            .where(Card.verified_until <= now, Card.deleted_at.is_(None))
            .order_by(Card.verified_until)
            .limit(limit)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
