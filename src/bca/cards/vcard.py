"""vCard 4.0 (RFC 6350) export of a card, its 3.0 form (RFC 2426) for CardDAV clients, and the
display fields the card page shares with it.

Written by hand instead of with vobject: vobject serialises vCard 3.0 (RFC 2426), whose
version line, parameter forms and value rules differ, while the contract promises 4.0. The
rules that matter are few and are all here: text values escape backslash, comma, semicolon
and newline (§3.4); compound values (N, ADR, ORG) separate components with unescaped
semicolons and list items with unescaped commas; lines are folded at 75 octets, never inside
a UTF-8 sequence, continuing with a single space (§3.2); lines end with CRLF. The tests read
the result back with vobject (name, organisation, emails and phones round-trip).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from bca.cards.models import Card
from bca.cards.schemas import CardData, TypedValue, VerifiedEmail, current_verified
from bca.core.time import utcnow

CRLF = "\r\n"
MAX_LINE_OCTETS = 75

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_EMAIL_TYPES = {"work": "work", "home": "home"}
_TEL_TYPES = {
    "work": "work",
    "home": "home",
    "cell": "cell",
    "mobile": "cell",
    "voice": "voice",
    "fax": "fax",
    "pager": "pager",
    "text": "text",
    "video": "video",
    "textphone": "textphone",
}


@dataclass(frozen=True)
class Contact:
    """The well-known contents of a card, normalised for display and export."""

    formatted_name: str
    family: list[str] = field(default_factory=list)
    given: list[str] = field(default_factory=list)
    additional: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    suffixes: list[str] = field(default_factory=list)
    title: str | None = None
    organization: str | None = None
    department: str | None = None
    emails: list[TypedValue] = field(default_factory=list)
    phones: list[TypedValue] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    address_lines: list[str] = field(default_factory=list)
    address: tuple[str, str, str, str, str] | None = None
    note: str | None = None
    verified: list[VerifiedEmail] = field(default_factory=list)

    @property
    def has_name(self) -> bool:
        return any((self.family, self.given, self.additional, self.prefixes, self.suffixes))

    @property
    def headline(self) -> str:
        """Title and organisation in one line, for the page and link previews."""
        org = ", ".join(part for part in (self.organization, self.department) if part)
        return " · ".join(part for part in (self.title, org) if part)


def _clean(value: str | None) -> str:
    return _CONTROL.sub("", value or "").strip()


def _parts(value: str | list[str] | None) -> list[str]:
    values = value if isinstance(value, list) else [value] if value else []
    return [cleaned for cleaned in (_clean(item) for item in values) if cleaned]


def _url(value: str) -> str | None:
    value = _clean(value)
    if not value or any(char.isspace() for char in value):
        return None
    return value if _SCHEME.match(value) else f"https://{value}"


def contact_of_card(card: Card) -> Contact:
    """The card's contents with its verified addresses (those not expired now)."""
    verified = current_verified(card.verified_emails, now=utcnow())
    return contact_of(name=card.name, data=card.data, verified=verified)


def contact_of(
    *, name: str, data: dict[str, Any], verified: Iterable[VerifiedEmail] = ()
) -> Contact:
    """Read a card's stored ``data``; keys that do not parse are ignored, never an error."""
    try:
        parsed = CardData.model_validate(data)
    except ValidationError:
        parsed = CardData()
    given, family = _parts(parsed.given_name), _parts(parsed.family_name)
    additional = _parts(parsed.additional_names)
    prefixes, suffixes = _parts(parsed.honorific_prefix), _parts(parsed.honorific_suffix)
    organization = _clean(parsed.organization) or None
    spoken = " ".join([*prefixes, *given, *additional, *family, *suffixes])
    urls: list[str] = []
    for item in parsed.urls or []:
        url = _url(item if isinstance(item, str) else item.value)
        if url:
            urls.append(url)
    address = None
    address_lines: list[str] = []
    if parsed.address is not None:
        a = parsed.address
        fields = tuple(
            _clean(v) for v in (a.street, a.locality, a.region, a.postal_code, a.country)
        )
        if any(fields):
            address = (fields[0], fields[1], fields[2], fields[3], fields[4])
            street, locality, region, code, country = address
            town = " ".join(part for part in (code, locality) if part)
            address_lines = [line for line in (street, town, region, country) if line]
    return Contact(
        formatted_name=spoken or organization or _clean(name) or "Card",
        family=family,
        given=given,
        additional=additional,
        prefixes=prefixes,
        suffixes=suffixes,
        title=_clean(parsed.title) or None,
        organization=organization,
        department=_clean(parsed.department) or None,
        emails=[e for e in parsed.emails or [] if _clean(e.value)],
        phones=[p for p in parsed.phones or [] if _clean(p.value)],
        urls=urls,
        address_lines=address_lines,
        address=address,
        note=(parsed.note or "").strip() or None,
        verified=list(verified),
    )


def escape_text(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _component(values: Iterable[str]) -> str:
    return ",".join(escape_text(value) for value in values)


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets (the first) and 74 plus the
    leading space (the rest), cutting only between characters."""
    if len(line.encode()) <= MAX_LINE_OCTETS:
        return line
    pieces: list[str] = []
    current: list[str] = []
    size, limit = 0, MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, MAX_LINE_OCTETS - 1
        current.append(char)
        size += width
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)


def _type_param(kind: str | None, known: dict[str, str]) -> str:
    mapped = known.get((kind or "").strip().lower())
    return f";TYPE={mapped}" if mapped else ""


# vCard 3.0 (RFC 2426) knows fewer telephone types; 4.0's text phones are its "msg".
_TEL_TYPES_3 = {
    key: value.upper() for key, value in (_TEL_TYPES | {"text": "msg", "textphone": "msg"}).items()
}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def verified_email_line(verified: VerifiedEmail) -> str:
    """``X-BCA-VERIFIED-EMAIL``: one of the card's addresses proven read by its owner.

    ``X-BCA-VERIFIED-EMAIL;X-WORK=true;X-VERIFIED=20261207T090000Z;X-EXPIRES=20271207T090000Z:
    ada@example.com`` (one line): the value is the address (text), ``X-WORK`` is ``false``
    at a free-mail domain, the two times are UTC timestamps (RFC 6350 §4.3.5). An extended
    property (§6.10): contacts apps that do not know it keep it or ignore it."""
    return (
        f"X-BCA-VERIFIED-EMAIL;X-WORK={'true' if verified.work else 'false'}"
        f";X-VERIFIED={_stamp(verified.verified_at)};X-EXPIRES={_stamp(verified.expires_at)}"
        f":{escape_text(_clean(verified.email))}"
    )


def to_vcard(
    contact: Contact,
    *,
    card_id: uuid.UUID,
    updated_at: datetime,
    source_url: str | None = None,
    photo_url: str | None = None,
    version: Literal["4.0", "3.0"] = "4.0",
) -> str:
    """The card as vCard 4.0 (RFC 6350), or as 3.0 (RFC 2426) for clients that speak only 3.0.

    Both carry the same contents; 3.0 differs in form only: N is mandatory, there is no KIND
    (Apple's ``X-ABShowAs:COMPANY`` marks an organisation), telephone types are 3.0's, and a
    photo link says ``VALUE=uri``.
    """
    v3 = version == "3.0"
    lines = [
        "BEGIN:VCARD",
        f"VERSION:{version}",
        "PRODID:-//B.Ca//Card export//EN",
        f"UID:urn:uuid:{card_id}",
    ]
    if contact.has_name and not v3:
        lines.append("KIND:individual")
    elif contact.organization and not contact.has_name:
        lines.append("X-ABShowAs:COMPANY" if v3 else "KIND:org")
    lines.append(f"FN:{escape_text(contact.formatted_name)}")
    if contact.has_name or v3:
        components = (
            contact.family,
            contact.given,
            contact.additional,
            contact.prefixes,
            contact.suffixes,
        )
        lines.append("N:" + ";".join(_component(values) for values in components))
    if contact.organization or contact.department:
        org = escape_text(contact.organization or "")
        if contact.department:
            org += ";" + escape_text(contact.department)
        lines.append(f"ORG:{org}")
    if contact.title:
        lines.append(f"TITLE:{escape_text(contact.title)}")
    for email in contact.emails:
        params = _type_param(email.type, _EMAIL_TYPES)
        if v3:
            params = ";TYPE=INTERNET" + params.replace(";TYPE=", ",").upper()
        lines.append(f"EMAIL{params}:{escape_text(_clean(email.value))}")
    for phone in contact.phones:
        if v3:
            params = _type_param(phone.type, _TEL_TYPES_3)
        else:
            # TEL defaults to a URI value in 4.0; numbers as people type them are text.
            params = ";VALUE=text" + _type_param(phone.type, _TEL_TYPES)
        lines.append(f"TEL{params}:{escape_text(_clean(phone.value))}")
    for url in contact.urls:
        # URI values are not text: no backslash escaping (RFC 6350 §4: URI).
        lines.append(f"URL:{url}")
    if contact.address is not None:
        street, locality, region, code, country = contact.address
        lines.append(
            "ADR:;;" + ";".join(escape_text(v) for v in (street, locality, region, code, country))
        )
    if contact.note:
        lines.append(f"NOTE:{escape_text(contact.note)}")
    for verified in contact.verified:
        lines.append(verified_email_line(verified))
    if photo_url:
        lines.append(f"PHOTO;VALUE=uri:{photo_url}" if v3 else f"PHOTO:{photo_url}")
    if source_url:
        lines.append(f"SOURCE:{source_url}")
    lines.append(f"REV:{_stamp(updated_at)}")
    lines.append("END:VCARD")
    return "".join(fold(line) + CRLF for line in lines)
