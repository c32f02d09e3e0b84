"""The rules of cards, their share links and the wallets (subscriptions) that hold them.

Decisions worth knowing:

- A card is visible as its profile is (blocked, deleted, deactivated: not at all; private
  profile: only to the owner and accepted followers), and a private card only to its owner
  and to those who hold it in a wallet. Holding a card keeps it visible.
- One share link per card at a time: ``POST /share`` returns the live one if there is one,
  ``DELETE /share`` revokes it (the page and its vCard then 404). The QR code encodes the live
  link. The owner asking for it wants to share, so for the owner it creates the link when
  there is none; anyone else who sees the card gets the live link's code, or 404 while there
  is none, so a QR code never creates a link behind the owner's back.
- A wallet entry made by presenting a valid share link survives the card turning private
  (the owner handed that link out); entries made because the card was public are removed
  when it turns private. Revoking a link does not empty wallets: a handed-out card stays
  handed out. A block ends the wallet entries between the two profiles.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.backends import Backends
from bca.cards import repository
from bca.cards.errors import (
    CardLimitReached,
    CardNotFound,
    NotSubscribersOwner,
    NotYourCard,
    ShareLinkNotFound,
    SubscriptionNotFound,
)
from bca.cards.models import Card, CardShareLink, Subscription
from bca.cards.repository import MAX_CARDS_PER_PROFILE, Pair
from bca.cards.schemas import CardCreate, CardUpdate
from bca.cards.sync import record_card_change, record_subscription_change
from bca.cards.vcard import Contact, contact_of_card
from bca.cards.verified import emails_of, keep_verified
from bca.core.time import utcnow
from bca.core.versioning import IfMatch, bump, check_if_match
from bca.files import repository as files_repository
from bca.files import service as files_service
from bca.files.service import Download, UploadSource
from bca.profiles import repository as profiles_repository
from bca.profiles.models import Profile
from bca.profiles.service import require_own_profile, require_visible_profile
from bca.profiles.sync import users_watching_profile


@dataclass(frozen=True)
class SharedCard:
    card: Card
    profile: Profile
    contact: Contact


def share_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/c/{token}"


async def require_visible_card(
    session: AsyncSession, *, user: User, card_id: uuid.UUID
) -> tuple[Card, Profile]:
    found = await repository.get_visible(session, user.id, card_id)
    if found is None:
        raise CardNotFound()
    return found


async def owned_card(
    session: AsyncSession, *, user: User, card_id: uuid.UUID, if_match: IfMatch | None = None
) -> tuple[Card, Profile]:
    """404 when not visible, 403 when visible but someone else's; locked, 412 when stale."""
    card, profile = await require_visible_card(session, user=user, card_id=card_id)
    if profile.user_id != user.id:
        raise NotYourCard()
    locked = await repository.lock(session, card.id)
    if locked is None:
        raise CardNotFound()
    check_if_match(if_match, locked.version)
    return locked, profile


async def _record_removed(session: AsyncSession, removed: Sequence[Pair]) -> None:
    for holder, card_id in removed:
        await record_subscription_change(session, holder, card_id)


# --- cards ----------------------------------------------------------------------------------


async def create_card(
    session: AsyncSession, *, user: User, my_profile_id: uuid.UUID, data: CardCreate
) -> Card:
    # The profile row lock serialises concurrent creations against the per-profile limit.
    profile = await require_own_profile(
        session, user=user, profile_id=my_profile_id, for_update=True
    )
    if await repository.count_live(session, profile.id) >= MAX_CARDS_PER_PROFILE:
        raise CardLimitReached()
    now = utcnow()
    card = Card(
        profile_id=profile.id,
        name=data.name,
        data=data.data.stored(),
        private=data.private,
        created_at=now,
        updated_at=now,
    )
    session.add(card)
    await session.flush()
    await record_card_change(session, card.id)
    return card


async def list_cards(
    session: AsyncSession,
    *,
    user: User,
    profile_id: uuid.UUID,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Card]:
    await require_visible_profile(session, user=user, profile_id=profile_id)
    return await repository.list_of_profile(session, user.id, profile_id, after=after, limit=limit)


async def get_card(session: AsyncSession, *, user: User, card_id: uuid.UUID) -> Card:
    card, _ = await require_visible_card(session, user=user, card_id=card_id)
    return card


async def update_card(
    session: AsyncSession,
    *,
    user: User,
    card_id: uuid.UUID,
    data: CardUpdate,
    if_match: IfMatch | None,
) -> Card:
    card, profile = await owned_card(session, user=user, card_id=card_id, if_match=if_match)
    changes: dict[str, object] = {}
    if data.name is not None and data.name != card.name:
        changes["name"] = data.name
    if data.data is not None and data.data.stored() != card.data:
        changes["data"] = data.data.stored()
    if data.private is not None and data.private != card.private:
        changes["private"] = data.private
    if not changes:
        return card
    watchers = await users_watching_profile(session, profile.id)
    for key, value in changes.items():
        setattr(card, key, value)
    if "data" in changes:
        # A changed or removed address loses its verification and any code on its way.
        keep_verified(card)
        await repository.delete_verifications(session, card.id, keep=emails_of(card.data))
    bump(card)
    await session.flush()
    if changes.get("private") is True:
        removed = await repository.delete_subscriptions_lost_by_privatising(
            session, card.id, owner=user.id
        )
        await _record_removed(session, removed)
    await record_card_change(session, card.id, also=watchers)
    return card


async def delete_card(
    session: AsyncSession, *, user: User, card_id: uuid.UUID, if_match: IfMatch | None
) -> None:
    card, _profile = await owned_card(session, user=user, card_id=card_id, if_match=if_match)
    await _remove(session, card)


async def admin_delete_card(session: AsyncSession, *, card_id: uuid.UUID) -> Card:
    """An operator's soft-delete of anyone's card, with the owner's consequences."""
    card = await repository.lock(session, card_id)
    if card is None:
        raise CardNotFound()
    await _remove(session, card)
    return card


async def _remove(session: AsyncSession, card: Card) -> None:
    watchers = await users_watching_profile(session, card.profile_id)
    await repository.soft_delete(session, [card.id])
    await repository.revoke_links(session, [card.id])
    await _record_removed(
        session, await repository.delete_subscriptions_of_cards(session, [card.id])
    )
    await record_card_change(session, card.id, also=watchers)


async def set_card_preview(
    session: AsyncSession,
    backends: Backends,
    *,
    user: User,
    card_id: uuid.UUID,
    source: UploadSource,
    if_match: IfMatch | None,
) -> Card:
    async def authorize() -> Card:
        card, _ = await owned_card(session, user=user, card_id=card_id, if_match=if_match)
        return card

    card = await files_service.replace_image(
        session,
        backends,
        user=user,
        source=source,
        purpose="card_preview",
        authorize=authorize,
        swap=files_service.image_swap("preview_file_id", bump),
    )
    await record_card_change(session, card.id)
    return card


async def card_contact(
    session: AsyncSession, *, user: User, card_id: uuid.UUID
) -> tuple[Card, Contact]:
    card, _ = await require_visible_card(session, user=user, card_id=card_id)
    return card, contact_of_card(card)


# --- sharing --------------------------------------------------------------------------------


async def share_card(session: AsyncSession, *, user: User, card_id: uuid.UUID) -> CardShareLink:
    card, _ = await owned_card(session, user=user, card_id=card_id)
    link = await repository.active_link(session, card.id)
    if link is not None:
        return link
    return await repository.add_link(session, card.id, secrets.token_urlsafe(24))


async def unshare_card(session: AsyncSession, *, user: User, card_id: uuid.UUID) -> None:
    card, _ = await owned_card(session, user=user, card_id=card_id)
    await repository.revoke_links(session, [card.id])


async def qr_link(session: AsyncSession, *, user: User, card_id: uuid.UUID) -> CardShareLink:
    card, profile = await require_visible_card(session, user=user, card_id=card_id)
    if profile.user_id == user.id:
        return await share_card(session, user=user, card_id=card_id)
    link = await repository.active_link(session, card.id)
    if link is None:
        raise ShareLinkNotFound()
    return link


async def shared_card(session: AsyncSession, *, token: str) -> SharedCard:
    found = await repository.find_shared(session, token)
    if found is None:
        raise CardNotFound()
    card, profile = found
    return SharedCard(card=card, profile=profile, contact=contact_of_card(card))


async def card_of_share(session: AsyncSession, *, user: User, token: str) -> Card:
    """The card a live share link names, for a signed-in user about to keep it (the link is
    the permission, as on the public page; a profile hidden from the user by a block is 404)."""
    found = await repository.find_shared(session, token)
    if found is None:
        raise CardNotFound()
    card, profile = found
    if await profiles_repository.get_visible(session, user.id, profile.id) is None:
        raise CardNotFound()
    return card


async def shared_preview(session: AsyncSession, backends: Backends, *, token: str) -> Download:
    shared = await shared_card(session, token=token)
    if shared.card.preview_file_id is None:
        raise CardNotFound()
    row = await files_repository.get_live(session, shared.card.preview_file_id)
    if row is None:
        raise CardNotFound()
    return await files_service.download(backends, row)


# --- wallet ---------------------------------------------------------------------------------


async def subscribe(
    session: AsyncSession,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    card_id: uuid.UUID,
    share_token: str | None,
) -> tuple[Subscription, Card, bool]:
    """Put a card in my profile's wallet; ``True`` when the entry is new.

    A private card needs its live share link's token. A token that does not belong to this
    card is a 404 like any card one may not see, even if the card is public.
    """
    holder = await require_own_profile(session, user=user, profile_id=my_profile_id)
    if share_token is not None:
        found = await repository.find_shared(session, share_token)
        if found is None or found[0].id != card_id:
            raise CardNotFound()
        card, profile = found
        if await profiles_repository.get_visible(session, user.id, profile.id) is None:
            raise CardNotFound()
    else:
        card, _ = await require_visible_card(session, user=user, card_id=card_id)
    subscription, created = await repository.add_subscription(
        session, holder.id, card.id, via_share_link=share_token is not None
    )
    if created:
        await record_subscription_change(session, holder.id, card.id)
    return subscription, card, created


async def unsubscribe(
    session: AsyncSession, *, user: User, my_profile_id: uuid.UUID, card_id: uuid.UUID
) -> None:
    holder = await require_own_profile(session, user=user, profile_id=my_profile_id)
    if not await repository.delete_subscription(session, holder.id, card_id):
        raise SubscriptionNotFound()
    await record_subscription_change(session, holder.id, card_id)


async def list_subscriptions(
    session: AsyncSession,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[tuple[Subscription, Card]]:
    holder = await require_own_profile(session, user=user, profile_id=my_profile_id)
    return await repository.list_subscriptions(
        session, user.id, holder.id, after=after, limit=limit
    )


async def list_subscribers(
    session: AsyncSession,
    *,
    user: User,
    card_id: uuid.UUID,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Subscription]:
    card, profile = await require_visible_card(session, user=user, card_id=card_id)
    if profile.user_id != user.id:
        raise NotSubscribersOwner()
    return await repository.list_subscribers(session, user.id, card.id, after=after, limit=limit)


# --- what goes with a profile ---------------------------------------------------------------


async def cards_go_with_their_profile(
    session: AsyncSession, profile_id: uuid.UUID, watchers: set[uuid.UUID]
) -> None:
    """A removed profile's cards go, their share links and wallet entries, and its own wallet."""
    card_ids = await repository.live_ids_of_profile(session, profile_id)
    await repository.soft_delete(session, card_ids)
    await repository.revoke_links(session, card_ids)
    removed = await repository.delete_subscriptions_of_cards(session, card_ids)
    removed += await repository.delete_subscriptions_held_by(session, profile_id)
    for card_id in card_ids:
        await record_card_change(session, card_id, also=watchers)
    for holder, card_id in removed:
        await record_subscription_change(session, holder, card_id)


async def block_empties_wallets(
    session: AsyncSession, acting: uuid.UUID, target: uuid.UUID
) -> None:
    """Each of the two profiles loses the wallet entries it held of the other's cards."""
    for holder, card_id in await repository.delete_subscriptions_between(session, acting, target):
        await record_subscription_change(session, holder, card_id)
