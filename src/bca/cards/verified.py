"""The verified addresses kept on a card row (``Card.verified_emails``): what an entry holds,
and what a change of the card's addresses leaves of them. Pure functions, no SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bca.cards.free_mail import is_free_mail
from bca.cards.models import Card
from bca.core.time import isoformat

VERIFIED_FOR = timedelta(days=365)


def normalise_email(value: str) -> str:
    return value.strip().lower()


def emails_of(data: dict[str, Any]) -> list[str]:
    """The card's email addresses as written in ``data["emails"]``, normalised."""
    found = []
    for entry in data.get("emails") or ():
        if isinstance(entry, dict) and isinstance(entry.get("value"), str):
            found.append(normalise_email(entry["value"]))
    return found


def _set(card: Card, entries: list[dict[str, Any]]) -> None:
    card.verified_emails = entries  # a new list: the JSON column sees the change
    card.verified_until = (
        min(datetime.fromisoformat(entry["expires_at"]) for entry in entries) if entries else None
    )


def add_verified(card: Card, email: str, *, now: datetime) -> None:
    """``email`` proven now: a new entry, or the old one renewed for another 365 days."""
    domain = email.rsplit("@", 1)[-1]
    entry = {
        "email": email,
        "domain": domain,
        "verified_at": isoformat(now),
        "expires_at": isoformat(now + VERIFIED_FOR),
        "work": not is_free_mail(domain),
    }
    _set(card, [kept for kept in card.verified_emails or () if kept["email"] != email] + [entry])


def keep_verified(card: Card, *, now: datetime | None = None) -> bool:
    """Drop the entries whose address left the card (and, given ``now``, the expired ones);
    True when something was dropped."""
    present = set(emails_of(card.data))
    entries = list(card.verified_emails or ())
    kept = [
        entry
        for entry in entries
        if entry["email"] in present
        and (now is None or datetime.fromisoformat(entry["expires_at"]) > now)
    ]
    if len(kept) == len(entries):
        return False
    _set(card, kept)
    return True
