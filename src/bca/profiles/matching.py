"""How a list's ``q`` finds its rows by the search index's tokens (Korean particles,
compounds, initial consonants, phone digits ...), without this domain knowing search.

``TEXT_MATCHES`` is filled by the search domain (its manifest): given a session, the text and
the kinds of entries (``contact``, ``profile_name``, ``profile``), it returns a select of the
ids of the entities whose tokens match, or None when the text holds nothing to search for.
Contacts' and profiles' lists use it for ``q``; with nothing plugged in (a process assembled
without search), they fall back to a case-insensitive substring.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.core.domain import Slot

TextMatch = Callable[[AsyncSession, str, Sequence[str]], Awaitable[Select[uuid.UUID] | None]]

TEXT_MATCHES: Slot[TextMatch] = Slot("profiles: text matches")


def text_match() -> TextMatch | None:
    """The plugged-in matcher, if any."""
    return next(iter(TEXT_MATCHES), None)
