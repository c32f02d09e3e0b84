"""The rules of scans: a photo of a paper card is read in the background, its proposal shown,
and the (corrected) proposal accepted as a contact.

Decisions worth knowing:

- A scan is made for one of my profiles and is seen only by that profile's owner (404 for
  anyone else); the photo follows the upload rules of files and stays the contact's image.
- Reading runs as the task ``scans.read_card`` after the upload commits (in-process on the
  embedded default, on a worker with a broker). It is idempotent: a finished scan is never
  read again. Whatever goes wrong with the image (not decodable, blank, too slow) ends the
  scan ``failed`` with a reason, never a server error.
- Suggestions are worked out when the scan is shown, not when it is read, so that a card
  that turned private (or a profile that blocked me) since is never revealed: only public
  cards of public profiles I may see, whose emails or phones equal a scanned one.
- Accepting twice gives the same contact (200 the second time).
"""

from __future__ import annotations

import uuid
from typing import Any

import phonenumbers
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.backends import Backends
from bca.backends.tasks import enqueue_after_commit
from bca.cards.vcard import contact_of
from bca.contacts import repository as contacts_repository
from bca.contacts import service as contacts_service
from bca.contacts.models import Contact
from bca.contacts.schemas import ContactFields
from bca.core.db import end_read_only_transaction
from bca.files import service as files_service
from bca.files.kinds import IMAGE_KINDS
from bca.files.service import UploadSource
from bca.profiles.service import require_own_profile
from bca.scans import repository
from bca.scans.errors import (
    InvalidAcceptedFields,
    InvalidRegion,
    ScanNotDone,
    ScanNotFound,
    TooManyPendingScans,
)
from bca.scans.models import Scan
from bca.scans.schemas import ScanAccept, Suggestion

READ_TASK = "scans.read_card"
MAX_PENDING_SCANS = 10
"""A person's scans still being read at once; more answer 429 ``scans_pending``."""


def check_region(region: str) -> str:
    region = region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidRegion()
    return region


async def create_scan(
    session: AsyncSession,
    backends: Backends,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    source: UploadSource,
    region: str | None,
) -> Scan:
    chosen = check_region(region or backends.settings.scan_default_region)
    profile = await require_own_profile(session, user=user, profile_id=my_profile_id)
    # Refused before the upload streams in, and counted again under the user's lock before
    # the row is added (concurrent uploads).
    if await repository.count_pending(session, user.id, lock=False) >= MAX_PENDING_SCANS:
        raise TooManyPendingScans()
    await end_read_only_transaction(session)
    async with files_service.receive_upload(
        session, backends, user=user, source=source, kinds=IMAGE_KINDS, purpose="scan"
    ) as stored:
        if await repository.count_pending(session, user.id, lock=True) >= MAX_PENDING_SCANS:
            raise TooManyPendingScans()
        scan = Scan(profile_id=profile.id, file_id=stored.id, region=chosen, status="pending")
        session.add(scan)
        await session.flush()
    enqueue_after_commit(session, backends.tasks, READ_TASK, scan_id=str(scan.id))
    return scan


async def get_scan(
    session: AsyncSession, *, user: User, scan_id: uuid.UUID
) -> tuple[Scan, list[Suggestion]]:
    scan = await repository.get_own(session, user.id, scan_id)
    if scan is None:
        raise ScanNotFound()
    return scan, await suggestions(session, user=user, scan=scan)


def _scanned(scan: Scan) -> tuple[list[str], list[str]]:
    fields = scan.fields or {}
    emails = [item["value"]["value"] for item in fields.get("emails", [])]
    phones = [item["value"]["value"] for item in fields.get("phones", [])]
    return emails, phones


def _e164(value: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


async def suggestions(session: AsyncSession, *, user: User, scan: Scan) -> list[Suggestion]:
    if scan.status != "done":
        return []
    emails, phones = _scanned(scan)
    wanted_emails = {email.lower() for email in emails}
    wanted_phones = set(phones)
    tails = sorted({phone[-4:] for phone in phones if len(phone) >= 8})
    candidates = await repository.public_cards_mentioning(
        session, user.id, emails=sorted(wanted_emails), phone_tails=tails
    )
    found: list[Suggestion] = []
    for card, profile in candidates:
        contact = contact_of(name=card.name, data=card.data)
        match: tuple[str, str] | None = None
        for email in contact.emails:
            if email.value.strip().lower() in wanted_emails:
                match = ("email", email.value.strip().lower())
                break
        if match is None:
            for phone in contact.phones:
                e164 = _e164(phone.value, scan.region)
                if e164 is not None and e164 in wanted_phones:
                    match = ("phone", e164)
                    break
        if match is not None:
            found.append(
                Suggestion(
                    card_id=card.id,
                    profile_id=profile.id,
                    card_name=card.name,
                    profile_name=profile.name,
                    matched=match[0],
                    value=match[1],
                )
            )
    return found


def proposed_contact(scan: Scan) -> dict[str, Any]:
    """The proposal as contact fields, confidences left out."""
    fields = scan.fields or {}

    def one(key: str) -> Any:
        found = fields.get(key)
        return found["value"] if found else None

    proposal: dict[str, Any] = {
        "name": one("name"),
        "organization": one("organization"),
        "title": one("title"),
        "address": one("address"),
        "phones": [item["value"] for item in fields.get("phones", [])],
        "emails": [item["value"] for item in fields.get("emails", [])],
        "urls": [item["value"] for item in fields.get("urls", [])],
    }
    return {key: value for key, value in proposal.items() if value is not None}


async def accept(
    session: AsyncSession, *, user: User, scan_id: uuid.UUID, corrections: ScanAccept
) -> tuple[Contact, bool]:
    """The scan as a contact of its profile, with the client's corrections; ``True`` when the
    contact is new (a repeated accept returns the first one)."""
    scan = await repository.get_own(session, user.id, scan_id, for_update=True)
    if scan is None:
        raise ScanNotFound()
    if scan.status != "done":
        raise ScanNotDone()
    if scan.contact_id is not None:
        existing = await contacts_repository.get_live(session, scan.profile_id, scan.contact_id)
        if existing is not None:
            return existing, False
    merged = proposed_contact(scan) | corrections.changes()
    merged = {key: value for key, value in merged.items() if value is not None}
    try:
        fields = ContactFields.model_validate(merged)
    except ValidationError as error:
        raise InvalidAcceptedFields(
            [
                {"loc": ["body", *map(str, problem["loc"])], "msg": problem["msg"]}
                for problem in error.errors()
            ]
        ) from None
    contact = await contacts_service.create_contact(
        session, user=user, my_profile_id=scan.profile_id, data=fields, image_file_id=scan.file_id
    )
    scan.contact_id = contact.id
    await session.flush()
    return contact, True
