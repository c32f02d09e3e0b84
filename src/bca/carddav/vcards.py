"""The vCards of the address books' members, their ETags, and the versions a client asks for.

- The vCard is the API's export (``bca.cards.vcard``) plus a ``PHOTO`` link to the card's
  preview, or else its profile's image, served under ``/dav/files/`` with the same Basic
  credentials. ``address-data`` without a ``version`` is 3.0, as RFC 6352's DTD says; GET
  answers 4.0 unless ``Accept`` asks for 3.0.
- ETag: a hash of what the vCard is rendered from (card id and version, photo file, public
  URL, renderer revision). Every card change bumps ``version`` and ``updated_at`` (the vCard's
  ``REV``), so the ETag changes exactly when the served text does, without rendering 5,000
  vCards to list an address book. Both vCard versions share it: they are one resource.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from bca.carddav.errors import UnsupportedAddressData
from bca.carddav.paths import photo_url
from bca.carddav.repository import BookContact, Member
from bca.carddav.xml import Element
from bca.cards.vcard import contact_of_card, to_vcard
from bca.contacts.vcard import contact_vcard

VCARD_MEDIA_TYPE = "text/vcard; charset=utf-8"
RENDERING = "1"
"""Bump when the vCard renderer's output changes, so that every ETag changes with it."""

VCardVersion = Literal["4.0", "3.0"]


@dataclass(frozen=True)
class VCardText:
    text: str
    version: VCardVersion
    etag: str | None


def accepted_version(accept: str | None) -> VCardVersion:
    """GET: 3.0 when ``Accept`` asks for ``text/vcard;version=3.0`` (or the old ``text/x-vcard``)
    and not for 4.0; 4.0, the API's export, otherwise."""
    if not accept:
        return "4.0"
    wants_three = wants_four = False
    for media_range in accept.lower().split(","):
        kind, *params = (part.strip() for part in media_range.split(";"))
        named = dict(param.partition("=")[::2] for param in params)
        version = named.get("version", "").strip('" ') or None
        if kind == "text/x-vcard" or (kind == "text/vcard" and version == "3.0"):
            wants_three = True
        elif kind == "text/vcard" and version in (None, "4.0"):
            wants_four = True
    return "3.0" if wants_three and not wants_four else "4.0"


def address_data_version(requested: Element) -> VCardVersion:
    content_type = requested.get("content-type", "text/vcard").strip().lower()
    version = requested.get("version", "3.0").strip()
    if content_type != "text/vcard" or version not in ("3.0", "4.0"):
        raise UnsupportedAddressData()
    return "3.0" if version == "3.0" else "4.0"


def etag(item: Member, *, public_url: str) -> str:
    kind = "contact|" if isinstance(item, BookContact) else ""
    source = f"{RENDERING}|{public_url}|{kind}{item.id}|{item.version}|{item.photo_file_id}"
    return '"' + hashlib.sha256(source.encode()).hexdigest()[:32] + '"'


def vcard(item: Member, *, public_url: str, version: VCardVersion = "4.0") -> str:
    photo = item.photo_file_id
    if isinstance(item, BookContact):
        return contact_vcard(
            item.contact,
            photo_url=photo_url(public_url, photo) if photo else None,
            version=version,
        )
    card = item.card
    return to_vcard(
        contact_of_card(card),
        card_id=card.id,
        updated_at=card.updated_at,
        photo_url=photo_url(public_url, photo) if photo else None,
        version=version,
    )
