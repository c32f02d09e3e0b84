"""Sync tokens and what changed since one (RFC 6578).

Sync tokens are positions in the user's change log (``bca.sync``):
``urn:x-bca:sync:{profile}:{seq}``. A ``subscription`` entry ``{profile}:{card}`` says a card
entered or left this wallet (or became visible/invisible), a ``card`` entry that its content
changed, a ``profile`` entry that a photo falling back to that profile's image may have, a
``contact`` entry that a contact was added, changed or removed.
A sync reads the entries after the token (one range scan) and then only the cards they name:
the cost follows the changes, not the wallet. Tokens below the log's compaction horizon, of
another address book, or never issued answer ``DAV:valid-sync-token``. ``getctag`` is the
same position.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.carddav import repository
from bca.carddav.errors import InvalidSyncToken
from bca.carddav.paths import parse_uuid
from bca.carddav.repository import Member
from bca.carddav.xml import MAX_NUMBER_DIGITS
from bca.profiles.models import Profile
from bca.sync import repository as sync_repository

MAX_LOG_ENTRIES = 2000
"""Change-log entries one sync-collection answer covers; beyond, it is truncated (507)."""


def sync_token(book_id: uuid.UUID, seq: int) -> str:
    return f"urn:x-bca:sync:{book_id}:{seq}"


def parse_sync_token(token: str, book_id: uuid.UUID) -> int:
    prefix = f"urn:x-bca:sync:{book_id}:"
    seq = token.strip().removeprefix(prefix)
    # ASCII digits, as many as a 64-bit position has: int() also reads "²" and other
    # scripts' digits (or fails on them), and refuses more than 4,300 digits.
    if (
        seq == token.strip()
        or not (seq.isascii() and seq.isdigit())
        or len(seq) > MAX_NUMBER_DIGITS
    ):
        raise InvalidSyncToken()
    return int(seq)


@dataclass(frozen=True)
class SyncResult:
    token: str
    present: Sequence[Member]
    removed: Sequence[uuid.UUID]
    truncated: bool


async def log_position(session: AsyncSession, user: User) -> int:
    """The user's change-log position: every book's sync token and ctag."""
    counter = await sync_repository.get_counter(session, user.id)
    return counter.last_seq if counter else 0


async def changes(session: AsyncSession, user: User, *, book: Profile, token: str) -> SyncResult:
    """What changed in the book since ``token`` (everything when it is empty)."""
    counter = await sync_repository.get_counter(session, user.id)
    last_seq = counter.last_seq if counter else 0
    if not token:
        items = await repository.members(session, user.id, book.id)
        return SyncResult(sync_token(book.id, last_seq), items, [], truncated=False)
    since = parse_sync_token(token, book.id)
    if counter is None or since < counter.compacted_through or since > last_seq:
        raise InvalidSyncToken()
    entries = await sync_repository.read_log(
        session, user.id, since=since, limit=MAX_LOG_ENTRIES + 1
    )
    truncated = len(entries) > MAX_LOG_ENTRIES
    entries = entries[:MAX_LOG_ENTRIES]
    held, changed, profiles, contacts = _wallet_changes(
        book.id, [(e.entity, e.entity_id) for e in entries]
    )
    cards = await repository.wallet(
        session,
        user.id,
        book.id,
        card_ids=held | changed,
        photo_from_profiles=profiles,
    )
    kept = await repository.contacts(session, book.id, contacts) if contacts else []
    present: list[Member] = sorted([*cards, *kept], key=lambda item: item.id)
    gone_contacts = await repository.contacts_ever_in(session, book.id, contacts)
    removed = sorted(
        (held - {item.id for item in cards}) | (gone_contacts - {item.id for item in kept})
    )
    position = entries[-1].seq if entries else since
    return SyncResult(sync_token(book.id, position), present, removed, truncated)


def _wallet_changes(
    book_id: uuid.UUID, entries: Iterable[tuple[str, str]]
) -> tuple[set[uuid.UUID], set[uuid.UUID], set[uuid.UUID], set[uuid.UUID]]:
    """From log entries: cards that entered or left this wallet, cards whose content changed,
    profiles whose image a card's photo may fall back to, and contacts added, changed or
    removed (of any of the user's books: the caller keeps this book's)."""
    held: set[uuid.UUID] = set()
    changed: set[uuid.UUID] = set()
    profiles: set[uuid.UUID] = set()
    contacts: set[uuid.UUID] = set()
    prefix = f"{book_id}:"
    for entity, entity_id in entries:
        if entity == "subscription" and entity_id.startswith(prefix):
            found = parse_uuid(entity_id[len(prefix) :])
            if found is not None:
                held.add(found)
        elif entity == "card":
            found = parse_uuid(entity_id)
            if found is not None:
                changed.add(found)
        elif entity == "profile":
            found = parse_uuid(entity_id)
            if found is not None:
                profiles.add(found)
        elif entity == "contact":
            found = parse_uuid(entity_id)
            if found is not None:
                contacts.add(found)
    return held, changed, profiles, contacts
