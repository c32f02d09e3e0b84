"""Searching offline: the tokens of the synced cards, contacts and profiles in the snapshot
file's search table (``bca.sync.snapshot_search``), plugged in by this domain's manifest.

The app cannot run Kiwi, so the offline index holds exactly the families the app can make
for a text and for a query (``bca.search.tokens`` with ``morphemes=False``; the app's
``web/src/data/search-tokens.ts``): Hangul syllable bigrams and each run's last syllable,
initial consonants, folded Latin words, the words of e-mail addresses and 4-digit windows of
digits. Morphemes would be of no use there (an offline query cannot ask for them) and would
make a row the app writes from a change differ from the row a fresh snapshot holds. The
server's own index of these entities holds the same families (``tasks.entry_terms_of``), so
online and offline find the same things; what the server adds online is the ranking by
morphemes and the particle stripping of a query, which the app approximates by a second try
without a trailing particle.

A row's texts are read from its synced ``data`` (the API's read shapes), field for field
the texts the server indexes (``tasks.card_texts`` ...), so the app makes the same terms from
the same change: ``tests/search/offline_fixtures.json`` pins that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bca.search.tokens import describe, index_terms
from bca.sync.snapshot_search import Searchable

CARD_FIELDS = ("name", "data")
CONTACT_FIELDS = ("name", "organization", "title", "phones", "emails", "urls", "address", "note")
PROFILE_FIELDS = ("name", "team_name", "description", "email", "phone", "address")


def texts_of(data: Mapping[str, Any], fields: tuple[str, ...]) -> list[str]:
    """The searchable texts of a synced row: strings as they are, JSON (a card's data, a
    contact's phones) by :func:`describe`."""
    texts: list[str] = []
    for name in fields:
        value = data.get(name)
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict | list):
            texts.append(describe(value))
    return texts


def terms_of(data: Mapping[str, Any], fields: tuple[str, ...]) -> list[str]:
    return [term for text in texts_of(data, fields) for term in index_terms(text, morphemes=False)]


def card_terms(data: Mapping[str, Any]) -> list[str]:
    return terms_of(data, CARD_FIELDS)


def contact_terms(data: Mapping[str, Any]) -> list[str]:
    return terms_of(data, CONTACT_FIELDS)


def profile_terms(data: Mapping[str, Any]) -> list[str]:
    return terms_of(data, PROFILE_FIELDS)


SEARCHABLES = (
    Searchable("card", card_terms),
    Searchable("contact", contact_terms),
    Searchable("profile", profile_terms),
)
