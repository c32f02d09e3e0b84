"""App passwords: the HTTP Basic passwords of CardDAV clients, one per device, revocable,
counted towards the account's sign-in lockout."""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import repository
from bca.accounts.errors import AppPasswordLimitReached
from bca.accounts.lockout import Lockout, account_key
from bca.accounts.models import AppPassword, User
from bca.accounts.rate_limits import rate_limiter
from bca.backends import Backends
from bca.core.errors import NotFound
from bca.core.ratelimit import CARDDAV_FAILURES_PER_ADDRESS
from bca.core.security import hash_token
from bca.core.time import utcnow

MAX_APP_PASSWORDS = 50
APP_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105  # symbols, no secret
"""32 symbols (no l, o, 0, 1 to misread): 20 of them carry 100 bits."""
APP_PASSWORD_LENGTH = 20
APP_PASSWORD_TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedAppPassword:
    row: AppPassword
    secret: str


def _new_app_password() -> str:
    """Twenty random symbols in groups of four, easy to type on a phone: ``abcd-efgh-...``."""
    symbols = "".join(secrets.choice(APP_PASSWORD_ALPHABET) for _ in range(APP_PASSWORD_LENGTH))
    return "-".join(symbols[start : start + 4] for start in range(0, APP_PASSWORD_LENGTH, 4))


def _app_password_hash(secret: str) -> str:
    """Typed back with or without the dashes, in any case: the hash of the bare symbols."""
    return hash_token("".join(secret.split()).replace("-", "").lower())


async def create_app_password(
    session: AsyncSession, *, user: User, name: str
) -> CreatedAppPassword:
    await repository.lock_user(session, user.id)
    if await repository.count_app_passwords(session, user.id) >= MAX_APP_PASSWORDS:
        raise AppPasswordLimitReached()
    secret = _new_app_password()
    row = AppPassword(
        user_id=user.id, name=name, secret_hash=_app_password_hash(secret), created_at=utcnow()
    )
    session.add(row)
    await session.flush()
    return CreatedAppPassword(row=row, secret=secret)


async def list_app_passwords(
    session: AsyncSession, *, user: User, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> Sequence[AppPassword]:
    return await repository.live_app_passwords(session, user.id, after=after, limit=limit)


async def revoke_app_password(
    session: AsyncSession, *, user: User, app_password_id: uuid.UUID
) -> None:
    if not await repository.revoke_app_password(session, user.id, app_password_id):
        raise NotFound()


async def authenticate_app_password(
    session: AsyncSession, backends: Backends, *, login: str, secret: str, client_address: str
) -> User | None:
    """The active user whose live app password this is, or ``None``.

    Failures count towards the same per-account lockout as sign-in (a locked-out account
    answers 429 here too), so app passwords are no side door for guessing; a success clears
    no failure (it comes from the user's phone while someone else may be guessing). Failures
    are also limited per client address, so that guessing across many logins (each with a
    lockout of its own) is slowed too. The presented secret's hash is compared with each of
    the user's hashes in constant time. The account state is read from the database on every
    request: a lock, a deactivation or a revocation takes effect at once.
    """
    lockout = Lockout(session)
    # The user, their live app passwords and their lockout: one statement.
    rows = await repository.app_password_candidates(session, login)
    user = rows[0][0] if rows else None
    key = account_key(user, login)
    if user is None:
        await lockout.check(key)
    else:
        lockout.refuse_while_locked(rows[0][2])
    presented = _app_password_hash(secret)
    matched: AppPassword | None = None
    candidates = [candidate for _, candidate, _ in rows if candidate is not None]
    for candidate in candidates:
        if hmac.compare_digest(candidate.secret_hash, presented):
            matched = candidate
    if user is None or matched is None or not user.is_active:
        await rate_limiter(backends).hit(
            "carddav-failures", client_address, CARDDAV_FAILURES_PER_ADDRESS
        )
        await lockout.app_password_failed(key)
        return None
    now = utcnow()
    # A client makes many requests a minute; recording each would turn reads into writes.
    if matched.last_used_at is None or now - matched.last_used_at > APP_PASSWORD_TOUCH_INTERVAL:
        matched.last_used_at = now
    return user
