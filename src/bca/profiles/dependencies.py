"""Optimistic concurrency for profiles and cards: ``ETag: "<version>"`` out, ``If-Match`` in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Response

from bca.core.errors import PreconditionFailed


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


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def parse_if_match(value: str | None) -> IfMatch | None:
    if value is None:
        return None
    if value.strip() == "*":
        return IfMatch(any=True, tags=frozenset())
    tags = frozenset(part.strip() for part in value.split(",") if part.strip())
    return IfMatch(any=False, tags=tags)


async def _if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=1000,
            description='The ETag (`"<version>"`) this change is based on; 412 when stale.',
        ),
    ] = None,
) -> IfMatch | None:
    return parse_if_match(if_match)


IfMatchDep = Annotated[IfMatch | None, Depends(_if_match)]


def check_if_match(if_match: IfMatch | None, version: int) -> None:
    if if_match is not None:
        if_match.check(version)


_PROBLEMS = {
    403: "forbidden (or a more specific code, e.g. blocked): visible, but not yours to change",
    404: "not_found: missing, deleted, or not visible to you",
    409: "limit_reached",
    412: "precondition_failed: If-Match does not match the current version",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem documents a route may answer with."""
    return {
        status: {
            "description": _PROBLEMS[status],
            "content": {"application/problem+json": {"schema": {"type": "object"}}},
        }
        for status in statuses
    }
