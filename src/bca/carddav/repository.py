"""Every SQL statement of the address books: a profile's wallet as its owner sees it now.

Visibility is not restated here: ``bca.cards.repository.card_visible`` decides which held
cards still show (blocked, private without the link, deleted and deactivated ones do not).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.cards.models import Card, Subscription
from bca.cards.repository import card_visible
from bca.profiles.models import Profile


@dataclass(frozen=True)
class WalletCard:
    """A card held in the address book, with what its vCard's photo falls back to."""

    card: Card
    profile_image_id: uuid.UUID | None

    @property
    def photo_file_id(self) -> uuid.UUID | None:
        return self.card.preview_file_id or self.profile_image_id


async def wallet(
    session: AsyncSession,
    viewer: uuid.UUID,
    book_id: uuid.UUID,
    *,
    card_ids: Collection[uuid.UUID] | None = None,
    photo_from_profiles: Collection[uuid.UUID] = (),
) -> Sequence[WalletCard]:
    """The visible cards in profile ``book_id``'s wallet, ordered by card id.

    ``card_ids=None`` lists all of them; otherwise only those cards, plus the cards of
    ``photo_from_profiles`` whose photo is their profile's image (no preview of their own).
    """
    query = (
        select(Card, Profile.image_file_id)
        .join(Subscription, Subscription.card_id == Card.id)
        .join(Profile, Profile.id == Card.profile_id)
        .where(Subscription.profile_id == book_id, card_visible(viewer))
    )
    if card_ids is not None:
        query = query.where(
            or_(
                Card.id.in_(list(card_ids)),
                and_(
                    Card.profile_id.in_(list(photo_from_profiles)),
                    Card.preview_file_id.is_(None),
                ),
            )
        )
    rows = await session.execute(query.order_by(Card.id))
    return [WalletCard(card=row[0], profile_image_id=row[1]) for row in rows.all()]
