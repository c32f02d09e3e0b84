"""Database engine, declarative base and the request/task transaction boundary.

Services never commit: the session dependency (for requests) and ``Database.transaction``
(for tasks and commands) commit once at the end and only then release the side effects that
services registered with :func:`after_commit`.
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


AfterCommit = Callable[[], Awaitable[None]]
_AFTER_COMMIT_KEY = "bca.after_commit"


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run ``callback`` once the session's transaction has committed; drop it on rollback."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


async def release_after_commit(session: AsyncSession) -> None:
    callbacks: list[AfterCommit] = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            # The data is committed; a failed side effect must not turn success into an error.
            logger.exception("after-commit side effect failed")


ON_ROLLBACK_KEY = "bca.on_rollback"


def on_rollback(session: AsyncSession, callback: AfterCommit) -> None:
    """Run ``callback`` if the session's transaction does not commit (compensation for work
    outside the database, such as an object already written to storage)."""
    session.info.setdefault(ON_ROLLBACK_KEY, []).append(callback)


async def release_on_rollback(session: AsyncSession) -> None:
    """Drop the after-commit side effects and run the compensations instead."""
    session.info.pop(_AFTER_COMMIT_KEY, None)
    callbacks: list[AfterCommit] = session.info.pop(ON_ROLLBACK_KEY, [])
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            logger.exception("compensation after rollback failed")


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
    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(
                url, echo=echo, connect_args={"timeout": 30}, poolclass=NullPool
            )
            _configure_sqlite(self.engine)
        else:
            self.engine = create_async_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, rollback on error, side effects after commit."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                await release_on_rollback(session)
                raise
        session.info.pop(ON_ROLLBACK_KEY, None)
        await release_after_commit(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


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
