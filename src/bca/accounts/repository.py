"""Every SQL statement of the accounts domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import String, bindparam, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from bca.accounts.models import (
    AppPassword,
    AuthSession,
    EmailToken,
    RefreshToken,
    SigninFailures,
    User,
)
from bca.core.db import LIKE_ESCAPE, UTCDateTime, contains_pattern, execute_core
from bca.core.time import utcnow


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def find_user_by_login(session: AsyncSession, login: str) -> User | None:
    login = login.strip().lower()
    column = User.email if "@" in login else User.username
    user: User | None = await session.scalar(select(User).where(column == login))
    return user


class _UuidText(FunctionElement[str]):
    """A uuid column as the text ``str(uuid)`` makes (``SigninFailures.account_key``)."""

    type = String()
    inherit_cache = True
    name = "uuid_text"


@compiles(_UuidText)
def _uuid_text(element: _UuidText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(_UuidText, "sqlite")
def _uuid_text_sqlite(element: _UuidText, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps a uuid as its 32 hex digits: put the dashes back.
    hex_ = compiler.process(element.clauses, **kw)
    parts = [f"substr({hex_}, {start}, {length})" for start, length in _UUID_GROUPS]
    return " || '-' || ".join(parts)


_UUID_GROUPS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


async def app_password_candidates(
    session: AsyncSession, login: str
) -> Sequence[tuple[User, AppPassword | None, datetime | None]]:
    """HTTP Basic's reads in one statement: the user the login names, each of their live app
    passwords (none: one row with None) and their account's lockout (``locked_until``).
    No row when the login names nobody."""
    login = login.strip().lower()
    column = User.email if "@" in login else User.username
    rows = await session.execute(
        select(User, AppPassword, SigninFailures.locked_until)
        .outerjoin(
            AppPassword,
            (AppPassword.user_id == User.id) & AppPassword.revoked_at.is_(None),
        )
        .outerjoin(SigninFailures, SigninFailures.account_key == _UuidText(User.id))
        .where(column == login)
        .order_by(AppPassword.created_at, AppPassword.id)
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def email_exists(session: AsyncSession, email: str) -> bool:
    return bool(await session.scalar(select(func.count()).where(User.email == email)))


async def username_exists(session: AsyncSession, username: str) -> bool:
    return bool(await session.scalar(select(func.count()).where(User.username == username)))


# Built once: every authenticated request runs it, and building a statement costs more CPU than
# running it (see bench/README.md).
_ACTIVE_SESSION = (
    select(AuthSession, User)
    .join(User, User.id == AuthSession.user_id)
    .where(
        AuthSession.id == bindparam("session_id"),
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > bindparam("now"),
        User.deactivated_at.is_(None),
        User.locked.is_(False),
    )
)


_ACTIVE_SESSION_USER = _ACTIVE_SESSION.with_only_columns(User.id)


async def active_session_user_id(session: AsyncSession, session_id: uuid.UUID) -> uuid.UUID | None:
    """``get_active_session``'s check, for callers that need only the user's id: no ORM
    objects to build (a long-poll makes it for every event it receives)."""
    parameters = {"session_id": session_id, "now": utcnow()}
    user_id: uuid.UUID | None = (
        await execute_core(session, _ACTIVE_SESSION_USER, parameters)
    ).scalar()
    return user_id


async def get_active_session(
    session: AsyncSession, session_id: uuid.UUID
) -> tuple[AuthSession, User] | None:
    """The signed-in device and its user, if the session is live and the user may act."""
    row = (
        await session.execute(_ACTIVE_SESSION, {"session_id": session_id, "now": utcnow()})
    ).first()
    return (row[0], row[1]) if row else None


async def list_active_sessions(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[AuthSession]:
    query = select(AuthSession).where(
        AuthSession.user_id == user_id,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > utcnow(),
    )
    if after is not None:
        query = query.where(
            or_(
                AuthSession.created_at > after[0],
                (AuthSession.created_at == after[0]) & (AuthSession.id > after[1]),
            )
        )
    query = query.order_by(AuthSession.created_at, AuthSession.id).limit(limit)
    return (await session.scalars(query)).all()


async def revoke_sessions(
    session: AsyncSession, user_id: uuid.UUID, *, except_session: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Revoke every live session of a user; returns the ids so the cache can be told."""
    query = (
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(AuthSession.id)
    )
    if except_session is not None:
        query = query.where(AuthSession.id != except_session)
    return list((await session.scalars(query)).all())


async def revoke_session(session: AsyncSession, session_id: uuid.UUID) -> bool:
    revoked = await session.scalar(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(AuthSession.id)
    )
    return revoked is not None


async def spend_refresh_token(
    session: AsyncSession, token_hash: str, *, now: datetime
) -> uuid.UUID | None:
    """Mark a refresh token spent; only one concurrent caller can win it.

    The conditional UPDATE is the whole race guard: a second presenter of the same token
    waits for the winner's commit, then finds it already spent (a repeat or a replay).
    """
    session_id: uuid.UUID | None = await session.scalar(
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash, RefreshToken.spent_at.is_(None))
        .values(spent_at=now)
        .returning(RefreshToken.session_id)
    )
    return session_id


async def find_spent_refresh_token(
    session: AsyncSession, token_hash: str
) -> tuple[uuid.UUID, datetime] | None:
    """The session of a spent refresh token and when it was spent."""
    row = (
        await session.execute(
            select(RefreshToken.session_id, RefreshToken.spent_at).where(
                RefreshToken.token_hash == token_hash, RefreshToken.spent_at.is_not(None)
            )
        )
    ).first()
    if row is None or row[1] is None:
        return None
    return row[0], row[1]


async def refresh_token_is_live(session: AsyncSession, token_hash: str) -> bool:
    found = await session.scalar(
        select(RefreshToken.id).where(
            RefreshToken.token_hash == token_hash, RefreshToken.spent_at.is_(None)
        )
    )
    return found is not None


async def find_email_token(
    session: AsyncSession, token_hash: str, purpose: str
) -> EmailToken | None:
    """A mailed token that would still be accepted (unused, unexpired), left unused."""
    token: EmailToken | None = await session.scalar(
        select(EmailToken).where(
            EmailToken.token_hash == token_hash,
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
            EmailToken.expires_at > utcnow(),
        )
    )
    return token


async def use_email_token(session: AsyncSession, token_hash: str, purpose: str) -> uuid.UUID | None:
    """Consume a single-use mailed token atomically; returns its user when it was valid."""
    user_id: uuid.UUID | None = await session.scalar(
        update(EmailToken)
        .where(
            EmailToken.token_hash == token_hash,
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
            EmailToken.expires_at > utcnow(),
        )
        .values(used_at=utcnow())
        .returning(EmailToken.user_id)
    )
    return user_id


async def clear_push_token(session: AsyncSession, push_token: str) -> None:
    """A device token belongs to one session: a re-sign-in on the device takes it over."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.push_token == push_token)
        .values(push_token=None, push_platform=None)
    )


async def search_users(
    session: AsyncSession, *, q: str | None, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> Sequence[User]:
    query = select(User)
    if q:
        pattern = contains_pattern(q.lower())
        query = query.where(
            or_(
                User.email.like(pattern, escape=LIKE_ESCAPE),
                User.username.like(pattern, escape=LIKE_ESCAPE),
                func.lower(User.nickname).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    if after is not None:
        query = query.where(
            or_(User.created_at > after[0], (User.created_at == after[0]) & (User.id > after[1]))
        )
    query = query.order_by(User.created_at, User.id).limit(limit)
    return (await session.scalars(query)).all()


# --- app passwords ---------------------------------------------------------------------------


async def lock_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Serialise a user's app-password creations so that the limit holds under concurrency
    (the user's row lock on PostgreSQL; SQLite serialises its writers anyway)."""
    await session.execute(select(User.id).where(User.id == user_id).with_for_update())


async def count_app_passwords(session: AsyncSession, user_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(AppPassword)
        .where(AppPassword.user_id == user_id, AppPassword.revoked_at.is_(None))
    )
    return int(count or 0)


async def live_app_passwords(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int | None = None,
) -> Sequence[AppPassword]:
    query = select(AppPassword).where(
        AppPassword.user_id == user_id, AppPassword.revoked_at.is_(None)
    )
    if after is not None:
        query = query.where(
            or_(
                AppPassword.created_at > after[0],
                (AppPassword.created_at == after[0]) & (AppPassword.id > after[1]),
            )
        )
    query = query.order_by(AppPassword.created_at, AppPassword.id)
    if limit is not None:
        query = query.limit(limit)
    return (await session.scalars(query)).all()


async def revoke_app_password(
    session: AsyncSession, user_id: uuid.UUID, app_password_id: uuid.UUID
) -> bool:
    revoked = await session.scalar(
        update(AppPassword)
        .where(
            AppPassword.id == app_password_id,
            AppPassword.user_id == user_id,
            AppPassword.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .returning(AppPassword.id)
    )
    return revoked is not None


async def revoke_app_passwords(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(AppPassword)
        .where(AppPassword.user_id == user_id, AppPassword.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def active_user_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Every account that is not deactivated, oldest first."""
    query = select(User.id).where(User.deactivated_at.is_(None)).order_by(User.created_at, User.id)
    return list((await session.scalars(query)).all())


async def forget_push_token(session: AsyncSession, *, session_id: uuid.UUID, token: str) -> None:
    """Only if the session still holds that token: the device may have sent a new one since."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.push_token == token)
        .values(push_token=None, push_platform=None)
        .execution_options(synchronize_session=False)
    )


# --- sign-in failures (the lockout) -----------------------------------------------------------

_FAILURES = SigninFailures.__table__


async def count_signin_failure(
    session: AsyncSession,
    account_key: str,
    *,
    kind: Literal["password", "app_password"],
    now: datetime,
    window: timedelta,
) -> tuple[int, datetime | None]:
    """One more failure of ``kind`` in its window (a passed window starts again at one), in
    one upsert that holds the row's lock to the commit; returns the count and the lock's end."""
    count = _FAILURES.c[f"{kind}_failures"]
    until = _FAILURES.c[f"{kind}_until"]
    window_end = literal(now + window, UTCDateTime())
    live = until > literal(now, UTCDateTime())
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(_FAILURES)
        .values(
            {"account_key": account_key, count.name: 1, until.name: now + window, "updated_at": now}
        )
        .on_conflict_do_update(
            index_elements=[_FAILURES.c.account_key],
            set_={
                count.name: case((live, count + 1), else_=1),
                until.name: case((live, until), else_=window_end),
                "updated_at": literal(now, UTCDateTime()),
            },
        )
        .returning(count, _FAILURES.c.locked_until)
    )
    row = (await session.execute(statement)).one()
    return int(row[0]), row[1]


async def lock_signin(
    session: AsyncSession,
    account_key: str,
    *,
    kind: Literal["password", "app_password"],
    until: datetime,
) -> None:
    """Lock the account until ``until``; the count that reached the limit starts again."""
    await session.execute(
        update(SigninFailures)
        .where(SigninFailures.account_key == account_key)
        .values({"locked_until": until, f"{kind}_failures": 0, f"{kind}_until": None})
    )


async def clear_signin_failures(
    session: AsyncSession, account_key: str, *, kind: Literal["password", "app_password"]
) -> None:
    await session.execute(
        update(SigninFailures)
        .where(SigninFailures.account_key == account_key)
        .values({f"{kind}_failures": 0, f"{kind}_until": None})
    )


async def signin_locked_until(session: AsyncSession, account_key: str) -> datetime | None:
    locked_until: datetime | None = await session.scalar(
        select(SigninFailures.locked_until).where(SigninFailures.account_key == account_key)
    )
    return locked_until


async def purge_signin_failures(session: AsyncSession, *, now: datetime, window: timedelta) -> int:
    """Rows whose windows (begun at the latest at ``updated_at``) and lock all ended."""
    result = await session.execute(
        delete(SigninFailures).where(
            SigninFailures.updated_at < now - window,
            or_(SigninFailures.locked_until.is_(None), SigninFailures.locked_until < now),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
