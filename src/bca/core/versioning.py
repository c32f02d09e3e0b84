"""Versioned rows: optimistic concurrency for the rows clients edit (profiles, cards, contacts).

A versioned row has ``version`` (1 when created, +1 on every change) and ``updated_at``. The
one way to change them is :func:`bump`. Its HTTP side (``bca.core.http``): responses carry the
version as a strong entity tag (``ETag: "<version>"``, ``tagged``), and a change may send
``If-Match`` with the tag it was based on (``IfMatchDep`` in the route, :func:`check_if_match`
in the service, after the row is locked): a stale tag is ``412 precondition_failed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bca.core.errors import PreconditionFailed
from bca.core.time import utcnow


class Versioned(Protocol):
    version: int
    updated_at: datetime


def bump(row: Versioned, *, at: datetime | None = None) -> None:
    """The row changed: its next version, changed now (or ``at``, a time the caller shares
    with other columns it sets)."""
    row.version += 1
    row.updated_at = at or utcnow()


@dataclass(frozen=True)
class IfMatch:
    """The entity tags a client based its change on.

    Strong comparison as RFC 9110 prescribes for ``If-Match``: a weak tag (``W/"3"``) never
    matches, and an unparsable header matches nothing, so a confused client fails safe with 412.
    """

    any: bool
    tags: frozenset[str]

    def check(self, version: int) -> None:
        if not (self.any or etag(version) in self.tags):
            raise PreconditionFailed()


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> IfMatch | None:
    if value is None:
        return None
    if value.strip() == "*":
        return IfMatch(any=True, tags=frozenset())
    tags = frozenset(part.strip() for part in value.split(",") if part.strip())
    return IfMatch(any=False, tags=tags)


def check_if_match(if_match: IfMatch | None, version: int) -> None:
    if if_match is not None:
        if_match.check(version)
