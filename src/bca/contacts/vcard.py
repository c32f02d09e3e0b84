"""A contact as vCard, through the cards' renderer (one vCard writer for the whole wallet)."""

from __future__ import annotations

import re
from typing import Literal

from bca.cards import vcard
from bca.cards.schemas import TypedValue
from bca.contacts.models import Contact

_HANGUL_NAME = re.compile(r"^[\uac00-\ud7a3]{2,4}$")


def _name_parts(name: str) -> tuple[list[str], list[str]]:
    """(family, given): a Korean name's first syllable is the family name; a Western name's
    last word is. A single word stays the formatted name only."""
    compact = name.replace(" ", "")
    if _HANGUL_NAME.match(compact):
        return [compact[0]], [compact[1:]]
    words = name.split()
    if len(words) >= 2 and all(word.replace("-", "").replace(".", "").isalpha() for word in words):
        return [words[-1]], [" ".join(words[:-1])]
    return [], []


def as_vcard_contact(contact: Contact) -> vcard.Contact:
    family, given = _name_parts(contact.name)
    address = (contact.address or "").strip()
    return vcard.Contact(
        formatted_name=contact.name,
        family=family,
        given=given,
        title=contact.title or None,
        organization=contact.organization or None,
        emails=[TypedValue.model_validate(item) for item in contact.emails],
        phones=[TypedValue.model_validate(item) for item in contact.phones],
        urls=[url if "://" in url else f"https://{url}" for url in contact.urls],
        address_lines=[address] if address else [],
        address=(address, "", "", "", "") if address else None,
        note=contact.note or None,
    )


def contact_vcard(
    contact: Contact,
    *,
    photo_url: str | None = None,
    version: Literal["4.0", "3.0"] = "4.0",
) -> str:
    return vcard.to_vcard(
        as_vcard_contact(contact),
        card_id=contact.id,
        updated_at=contact.updated_at,
        photo_url=photo_url,
        version=version,
    )
