"""Keyset pagination: ``{items, next_cursor}`` with an opaque cursor over a stable sort key."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import and_, or_, true

from bca.core.errors import AppError

T = TypeVar("T")
Row = TypeVar("Row")

DEFAULT_LIMIT = 50
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
"""What ``encode_cursor`` writes (unpadded URL-safe base64)."""
MAX_LIMIT = 200


class InvalidCursor(AppError):
    status = 422
    code = "validation_error"
    detail = "The cursor is not valid."

    def __init__(self) -> None:
        super().__init__(extra={"errors": [{"loc": ["query", "cursor"], "msg": self.detail}]})


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class PageParams(BaseModel):
    cursor: str | None = None
    limit: int = DEFAULT_LIMIT

    @property
    def after(self) -> tuple[datetime, uuid.UUID] | None:
        """Where a list ordered by ``(created_at, id)`` resumes (422 on a bad cursor)."""
        return decode_time_cursor(self.cursor)

    @property
    def fetch_limit(self) -> int:
        """Rows to fetch: one more than the page, to know whether another page follows."""
        return self.limit + 1

    def cut(
        self, rows: Sequence[Row], *, key: Callable[[Row], list[Any]], item: Callable[[Row], T]
    ) -> Page[T]:
        """This page of a ``fetch_limit`` fetch, each row shown as ``item``."""
        kept, next_cursor = page_of(rows, limit=self.limit, key=key)
        return Page(items=[item(row) for row in kept], next_cursor=next_cursor)


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    # An empty cursor (``?cursor=``, as a client that fills in "no next page" sends) is the
    # first page: the documented pattern allows it.
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor() from None
    if not isinstance(key, list):
        raise InvalidCursor()
    return key


def decode_time_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The cursor of lists ordered by ``(created_at, id)``."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(key[0]), uuid.UUID(key[1])
    except (IndexError, TypeError, ValueError):
        raise InvalidCursor() from None


def page_of(
    rows: Sequence[T], *, limit: int, key: Callable[[T], list[Any]]
) -> tuple[list[T], str | None]:
    """Cut a ``limit + 1`` row fetch into one page and the cursor of the next one."""
    if len(rows) <= limit:
        return list(rows), None
    return list(rows[:limit]), encode_cursor(key(rows[limit - 1]))


def keyset_after(created_at: Any, key: Any, after: tuple[datetime, uuid.UUID] | None) -> Any:
    """The keyset condition "after this (created_at, id)"; always true on the first page."""
    if after is None:
        return true()
    return or_(created_at > after[0], and_(created_at == after[0], key > after[1]))


def time_key(row: Any) -> list[Any]:
    return [row.created_at.isoformat(), str(row.id)]
