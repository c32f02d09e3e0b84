"""Every SQL statement of the address books: a profile's wallet as its owner sees it now.

Visibility is not restated here: ``bca.cards.visibility.card_visible`` decides which held
cards still show (blocked, private without the link, deleted and deactivated ones do not).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, Uuid, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.cards.models import Card, Subscription
from bca.cards.visibility import card_visible
from bca.contacts import repository as contacts_repository
from bca.contacts.models import Contact
from bca.profiles.models import Profile
from bca.profiles.visibility import Viewer


@dataclass(frozen=True)
class WalletCard:
    """A card held in the address book, with what its vCard's photo falls back to."""

    card: Card
    profile_image_id: uuid.UUID | None

    @property
    def id(self) -> uuid.UUID:
        return self.card.id

    @property
    def version(self) -> int:
        return self.card.version

    @property
    def updated_at(self) -> datetime:
        return self.card.updated_at

    @property
    def photo_file_id(self) -> uuid.UUID | None:
        return self.card.preview_file_id or self.profile_image_id


@dataclass(frozen=True)
class BookContact:
    """A contact (a paper card's person) the profile keeps: a member beside the cards."""

    contact: Contact

    @property
    def id(self) -> uuid.UUID:
        return self.contact.id

    @property
    def version(self) -> int:
        return self.contact.version

    @property
    def updated_at(self) -> datetime:
        return self.contact.updated_at

    @property
    def photo_file_id(self) -> uuid.UUID | None:
        return self.contact.image_file_id


Member = WalletCard | BookContact


# Built once with bind parameters and reused: building the visibility clauses costs far more
# than running them (ORM aliasing), about 25 ms a statement, which would otherwise be most of
# the cost of a sync of a few changes.
VIEWER = Viewer(bindparam("viewer", type_=Uuid()))
BOOK = bindparam("book", type_=Uuid())
CARD_IDS = bindparam("card_ids", expanding=True, type_=Uuid())
PROFILE_IDS = bindparam("profile_ids", expanding=True, type_=Uuid())
Scope = Literal["all", "cards", "photos"]


@functools.cache
def _statement(scope: Scope) -> Select[Card, uuid.UUID | None]:
    query = (
        select(Card, Profile.image_file_id)
        .join(Subscription, Subscription.card_id == Card.id)
        .join(Profile, Profile.id == Card.profile_id)
        .where(Subscription.profile_id == BOOK, card_visible(VIEWER))
    )
    if scope == "cards":
        return query.where(Card.id.in_(CARD_IDS))
    if scope == "photos":
        return query.where(Card.profile_id.in_(PROFILE_IDS), Card.preview_file_id.is_(None))
    return query


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
    Two statements rather than one OR, so that each starts from its few keys.
    """
    parameters: dict[str, Any] = {"viewer": viewer, "book": book_id}
    runs: list[Scope] = []
    if card_ids is None:
        runs.append("all")
    else:
        parameters |= {"card_ids": list(card_ids), "profile_ids": list(photo_from_profiles)}
        runs += ["cards"] if card_ids else []
        runs += ["photos"] if photo_from_profiles else []
    found: dict[uuid.UUID, WalletCard] = {}
    for scope in runs:
        for card, image_id in (await session.execute(_statement(scope), parameters)).all():
            found[card.id] = WalletCard(card=card, profile_image_id=image_id)
    return [found[card_id] for card_id in sorted(found)]


async def contacts(
    session: AsyncSession, book_id: uuid.UUID, contact_ids: Collection[uuid.UUID] | None = None
) -> Sequence[BookContact]:
    """The live contacts of profile ``book_id`` (``contact_ids``: only those), by id."""
    found = await contacts_repository.of_book(
        session, book_id, None if contact_ids is None else list(contact_ids)
    )
    return [BookContact(contact) for contact in found]


async def members(
    session: AsyncSession,
    viewer: uuid.UUID,
    book_id: uuid.UUID,
    ids: Collection[uuid.UUID] | None = None,
) -> list[Member]:
    """Cards and contacts of the book (``ids``: only those), ordered by id."""
    cards = await wallet(session, viewer, book_id, card_ids=ids)
    kept = await contacts(session, book_id, ids)
    return sorted([*cards, *kept], key=lambda member: member.id)


async def contacts_ever_in(
    session: AsyncSession, book_id: uuid.UUID, contact_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    return await contacts_repository.ever_in_book(session, book_id, list(contact_ids))
