"""Where a person's data lives, declared: the slot ``PERSONAL_DATA``, by which each domain says,
for every table it owns, whether it holds anything of a user, how its rows refer to the user
(directly, or through a profile, a session, a card ...), and how to erase and export them.

A table that holds nothing of anyone is declared too (:class:`NotPersonal`, with the reason),
so that ``tests/rights/test_personal_data.py`` fails for a table a change adds until its
domain says which it is. Objects in storage are declared either by the column of a table
that names them (``objects=``: a file's ``storage_key``) or by a prefix of the user's own
(:class:`StoragePrefix`, ``PERSONAL_STORAGE``).

A declaration is one entry in the domain's manifest::

    PERSONAL_DATA.plug(Personal(Reaction, (of_profile("profile_id"),))),
    PERSONAL_DATA.plug(NotPersonal(Counter, "counts; no one's data")),

Readers: ``bca.rights`` (the residue a user leaves, erasure, export). Erasure runs the
declarations from the tables that refer to others to those they refer to (the metadata's
dependency order, reversed), so a new table is erased before the rows it points at.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Table, delete, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.core.domain import Slot


class Refers(Protocol):
    """How the rows of a table refer to a user: a condition on the table for one user."""

    def where(self, table: Table, user_id: uuid.UUID) -> ColumnElement[bool]: ...


@dataclass(frozen=True)
class ByUser:
    """``table.<column>`` is the user's id (as text with ``as_text``: a key made of it)."""

    column: str
    as_text: bool = False

    def where(self, table: Table, user_id: uuid.UUID) -> ColumnElement[bool]:
        return table.c[self.column] == (str(user_id) if self.as_text else user_id)


@dataclass(frozen=True)
class Through:
    """``table.<column>`` names a row of ``parent`` (by ``parent_key``) that is the user's by
    ``refers``: a refresh token through its session, a share link through its card."""

    column: str
    parent: type[Any]
    """A mapped class."""
    refers: Refers
    parent_key: str = "id"

    def where(self, table: Table, user_id: uuid.UUID) -> ColumnElement[bool]:
        parent = table_of(self.parent)
        owned = select(parent.c[self.parent_key]).where(self.refers.where(parent, user_id))
        return table.c[self.column].in_(owned.scalar_subquery())


def table_of(model: type[Any]) -> Table:
    """The table of a mapped class."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


class ObjectStore(Protocol):
    """What erasure and the residue need of storage (``bca.backends.storage.Storage``)."""

    async def delete(self, key: str) -> None: ...
    async def list_keys(self, prefix: str, *, limit: int = 1000) -> list[str]: ...


@dataclass(frozen=True)
class Erasure:
    """One user's erasure, as the erasers see it."""

    session: AsyncSession
    storage: ObjectStore
    user_id: uuid.UUID
    profile_ids: frozenset[uuid.UUID]
    """The user's profiles (deleted ones included), read before anything is erased."""
    erased_profile_id: uuid.UUID
    """The stand-in author of what stays for others (a redacted message): "a deleted profile"."""
    now: datetime


Eraser = Callable[[Erasure, "Personal"], Awaitable[int]]
"""Erase the user's rows of one declaration; answers how many rows it removed or redacted."""

Exporter = Callable[[AsyncSession, uuid.UUID, "Personal"], Awaitable[Sequence[Mapping[str, Any]]]]
"""The user's rows of one declaration as JSON-ready mappings (for their export)."""


async def delete_rows(erasure: Erasure, declared: Personal) -> int:
    """The usual eraser: delete the rows, after the objects they name (``objects=``)."""
    table, where = declared.table, declared.where(erasure.user_id)
    if declared.objects is not None:
        keys = (await erasure.session.scalars(select(table.c[declared.objects]).where(where))).all()
        for key in keys:
            if key:
                await erasure.storage.delete(key)
    result = await erasure.session.execute(delete(table).where(where))
    return int(getattr(result, "rowcount", 0) or 0)


async def rows_as_json(
    session: AsyncSession, user_id: uuid.UUID, declared: Personal
) -> Sequence[Mapping[str, Any]]:
    """The usual exporter: every column of the user's rows but those it keeps back."""
    table = declared.table
    columns = [column for column in table.columns if column.name not in declared.secret]
    scope = declared.exported_where(user_id)
    rows = (await session.execute(select(*columns).where(scope))).mappings()
    return [{key: plain(value) for key, value in row.items()} for row in rows]


def plain(value: object) -> object:
    """A column's value as JSON holds it."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Personal:
    """A table that holds a user's data, and how."""

    model: type[Any]
    """The mapped class of the table."""
    refers: tuple[Refers, ...]
    """Each way a row may be the user's (or be about them): a row is theirs when any holds."""
    erase: Eraser = delete_rows
    export: Exporter | None = rows_as_json
    """None: nothing of it goes into the export (said in ``why_not_exported``)."""
    objects: str | None = None
    """The column naming an object in storage that goes with the row."""
    secret: frozenset[str] = frozenset()
    """Columns never exported (hashes of secrets)."""
    exported: tuple[Refers, ...] | None = None
    """The rows the usual exporter takes, when fewer than ``refers`` (their own follows, not
    who blocked them)."""
    note: str = ""
    """What erasure does when it does more, or other, than delete the rows."""

    @property
    def table(self) -> Table:
        return table_of(self.model)

    @property
    def name(self) -> str:
        return self.table.name

    def where(self, user_id: uuid.UUID) -> ColumnElement[bool]:
        """The user's rows in this table."""
        if not self.refers:
            return false()
        return or_(*(refers.where(self.table, user_id) for refers in self.refers))

    def exported_where(self, user_id: uuid.UUID) -> ColumnElement[bool]:
        """The user's rows that go into their export."""
        scope = self.refers if self.exported is None else self.exported
        return or_(*(refers.where(self.table, user_id) for refers in scope)) if scope else false()


@dataclass(frozen=True)
class NotPersonal:
    """A table that holds nothing of anyone in particular, with the reason."""

    model: type[Any]
    why: str

    @property
    def table(self) -> Table:
        return table_of(self.model)

    @property
    def name(self) -> str:
        return self.table.name


@dataclass(frozen=True)
class StoragePrefix:
    """Objects in storage kept under a prefix of the user's own (``sync/<user id>/``)."""

    name: str
    prefix: Callable[[uuid.UUID], str]
    what: str = field(default="")


Declared = Personal | NotPersonal

PERSONAL_DATA: Slot[Declared] = Slot("personal data", key=lambda declared: declared.name)
"""Every table of every domain: :class:`Personal` or :class:`NotPersonal`."""

PERSONAL_STORAGE: Slot[StoragePrefix] = Slot("personal storage", key=lambda prefix: prefix.name)
"""The storage prefixes that are one user's."""
