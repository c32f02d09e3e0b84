"""Database engine, declarative base and the transaction boundary.

Services never commit: ``Database.transaction`` (behind the request's session dependency, and
used directly by tasks and commands) commits once at the end and only then releases the side
effects that services put in the transaction's :class:`Outbox`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, Uuid, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.base import Executable
from sqlalchemy.types import TypeDecorator

from bca.core.errors import AppError

logger = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use bca.core.time.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY, so big integers are INTEGER there.
BigIntType = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        uuid.UUID: Uuid(),
    }


LIKE_ESCAPE = "\\"
"""The escape character of :func:`contains_pattern`; pass it as ``like(..., escape=...)``."""


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def insert_ignoring_conflicts(session: AsyncSession | Session, table: Any) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the session's dialect (PostgreSQL or SQLite)."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()


async def execute_core(
    session: AsyncSession, statement: Executable, parameters: Any = None
) -> CursorResult[*tuple[Any, ...]]:
    """Run a Core statement on the session's connection, in its transaction, without the ORM's
    per-statement work. For hot paths, with statements built once at import: building and
    ORM-executing a statement costs more CPU than running it."""
    connection = await session.connection()
    return await connection.execute(statement, parameters)


Effect = Callable[[], Awaitable[None]]
BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
_OUTBOX_KEY = "bca.outbox"


class Outbox:
    """The side effects of one transaction: released after it commits, dropped if it does not.

    Everything a write sets off outside the database goes here (a realtime publish, a task, a
    snapshot update, the deletion of a replaced object), so that nothing leaves before the data
    it announces is committed and nothing leaves at all for a write that rolled back. A
    compensation runs instead when the transaction does not commit (an object already written
    to storage). One outbox per transaction, kept with its session.
    """

    def __init__(self) -> None:
        self._effects: list[Effect] = []
        self._compensations: list[Effect] = []

    def after_commit(self, effect: Effect) -> None:
        self._effects.append(effect)

    def on_rollback(self, compensation: Effect) -> None:
        self._compensations.append(compensation)

    async def release(self) -> None:
        effects, self._effects, self._compensations = self._effects, [], []
        for effect in effects:
            try:
                await effect()
            except Exception:
                # The data is committed; a failed side effect must not turn success into an error.
                logger.exception("after-commit side effect failed")

    async def discard(self) -> None:
        compensations, self._effects, self._compensations = self._compensations, [], []
        for compensation in compensations:
            try:
                await compensation()
            except Exception:
                logger.exception("compensation after rollback failed")


def outbox(session: AsyncSession) -> Outbox:
    """The outbox of the session's transaction."""
    found: Outbox | None = session.info.get(_OUTBOX_KEY)
    if found is None:
        found = session.info[_OUTBOX_KEY] = Outbox()
    return found


async def end_read_only_transaction(session: AsyncSession) -> None:
    """End a transaction that has only read, before waiting on something slow.

    An exception to "commit only at the boundary", for requests that wait (a long-poll, an
    upload streaming in): a pooled connection must not idle in a transaction, and on SQLite
    every transaction holds the write lock (``BEGIN IMMEDIATE``). Writes that follow run in a
    fresh transaction that the boundary still commits.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read_only_transaction called with pending writes")
    await session.commit()


class Database:
    """The engine and the one transaction boundary that requests, tasks and commands share.

    ``before_commit`` steps run inside every transaction right before it commits (the sync
    change log registers one at start-up): explicit, in this one place, instead of a global
    listener on every SQLAlchemy session.
    """

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.before_commit: list[BeforeCommit] = []
        if self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(
                url, echo=echo, connect_args={"timeout": 30}, poolclass=NullPool
            )
            _configure_sqlite(self.engine)
        else:
            self.engine = create_async_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=pool_size
            )
            _configure_postgres(self.engine)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # PostgreSQL: reads that wait need no transaction (BEGIN and COMMIT are two round
        # trips of the three a long-poll makes). SQLite keeps its transactions (see below).
        self.reading_sessionmaker = (
            self.sessionmaker
            if self.is_sqlite
            else async_sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
            )
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, rollback on error, side effects after commit.

        An ``AppError`` whose ``commit_anyway`` is set (refresh-token reuse revokes a session
        and still answers 401) commits what was written before it propagates.
        """
        async with self.sessionmaker() as session:
            try:
                yield session
            except AppError as error:
                if not error.commit_anyway:
                    await self._roll_back(session)
                    raise
                await self._commit(session)
                raise
            except BaseException:
                await self._roll_back(session)
                raise
            await self._commit(session)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for requests that only read (a long-poll): every statement sees what is
        committed when it runs, without a transaction around them on PostgreSQL."""
        async with self.reading_sessionmaker() as session:
            yield session
            if session.new or session.dirty or session.deleted:
                raise RuntimeError("a reading session has pending writes")

    async def _commit(self, session: AsyncSession) -> None:
        try:
            for step in self.before_commit:
                await step(session)
            await session.commit()
        except BaseException:
            await self._roll_back(session)
            raise
        await outbox(session).release()

    async def _roll_back(self, session: AsyncSession) -> None:
        # Compensations run even when the rollback itself fails (the connection is gone): an
        # object already written to storage, a chat's writer queue held by this transaction.
        try:
            await session.rollback()
        finally:
            await outbox(session).discard()

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_postgres(engine: AsyncEngine) -> None:
    """A pooled connection that the server closed (a restart, a failover, an idle timeout) is
    replaced when it is checked out, before a request can fail on it.

    asyncpg learns of a closed socket as soon as the event loop reads its end, so asking it
    costs nothing; SQLAlchemy's ``pool_pre_ping`` would instead spend three round trips
    (BEGIN, a ping, ROLLBACK) on every checkout, that is on every request. A connection that
    dies unnoticed (a half-open socket) fails its first statement instead: the pool discards it,
    and ``core.faults`` runs a read again or answers 503 for the client to retry.
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        driver_connection = record.driver_connection
        if driver_connection is not None and driver_connection.is_closed():
            # The pool invalidates this one and checks out (or opens) another.
            raise DisconnectionError("the server closed this pooled connection")


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL for concurrent readers, enforced foreign keys, and ``BEGIN IMMEDIATE``.

    SQLite upgrades a deferred transaction's read lock to a write lock lazily and then fails
    with "database is locked" instead of waiting; taking the write lock when the transaction
    begins makes concurrent writers queue on ``busy_timeout`` instead, which keeps counters such
    as the chat event index gapless. Embedded mode trades write concurrency for that simplicity.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let us issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
