"""The public card page (server-rendered HTML, no JavaScript) and the card's QR code.

The page carries its structured data as schema.org microdata (a ``Person``, or an
``Organization`` card; never a script element, not even a JSON-LD data block): name, job
title, employer, emails, and each verified address as an ``identifier`` ``PropertyValue``
whose ``propertyID`` is ``verified-work-email`` or ``verified-email``."""

from __future__ import annotations

import io
import re
from typing import Literal

import segno

from bca.cards.models import Card
from bca.cards.vcard import Contact
from bca.core.html import page_headers, templates

QrFormat = Literal["png", "svg"]

# Everything on the page is inline and same-origin; no script may ever run, and the share
# token in the URL must not leak to the sites the card links to (no Referer).
PAGE_HEADERS = page_headers()

_PHONE_CHARS = re.compile(r"[^0-9+*#]")


def _tel_href(value: str) -> str | None:
    digits = _PHONE_CHARS.sub("", value)
    return f"tel:{digits}" if digits else None


def _safe_href(url: str) -> str | None:
    """Only web links become links; any other scheme (``javascript:`` ...) stays plain text."""
    return url if url.lower().startswith(("https://", "http://")) else None


def render_card_page(
    *,
    contact: Contact,
    card: Card,
    page_url: str,
    vcard_path: str,
    app_path: str,
    preview_path: str | None,
    preview_url: str | None,
) -> str:
    template = templates().get_template("card.html")
    return template.render(
        contact=contact,
        card=card,
        page_url=page_url,
        vcard_path=vcard_path,
        app_path=app_path,
        preview_path=preview_path,
        preview_url=preview_url,
        description=contact.headline or "Business card on B.Ca",
        verified={entry.email: entry for entry in contact.verified},
        person=contact.has_name or not contact.organization,
        phones=[(phone, _tel_href(phone.value)) for phone in contact.phones],
        urls=[(url, _safe_href(url)) for url in contact.urls],
    )


def render_missing_page() -> str:
    return templates().get_template("card_missing.html").render()


def qr_code(text: str, fmt: QrFormat) -> bytes:
    qr = segno.make(text, error="m")
    out = io.BytesIO()
    if fmt == "svg":
        qr.save(out, kind="svg", scale=8, border=4, xmldecl=True)
    else:
        qr.save(out, kind="png", scale=8, border=4)
    return out.getvalue()


QR_MEDIA_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}
