"""Console sign-in: an admin's browser session, backed by an ordinary ``AuthSession``.

Signing in goes through ``accounts.sessions.check_credentials``, the check behind
``POST /v1/auth/signin``: the same argon2 verification, per-address limit and per-account
lockout. The session it opens is a row like any device's (named "Admin console"), so locking the
admin, "revoke all sessions", a password change or sign-out-everywhere end it too, on every
instance, through the same revocation set. The browser holds an opaque random token; the cache
maps its hash to the session id and the session's CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import repository as accounts_repository
from bca.accounts import sessions as accounts_sessions
from bca.accounts.models import AuthSession, User
from bca.backends import Backends
from bca.core.db import outbox
from bca.core.errors import NotFound
from bca.core.security import hash_token, new_opaque_token

DEVICE_NAME = "Admin console"
SESSION_TTL = timedelta(hours=8)


@dataclass(frozen=True)
class ConsoleSession:
    auth_session: AuthSession
    user: User
    csrf_token: str


def _cache_key(token: str) -> str:
    return f"admin-console:{hash_token(token)}"


def tokens_match(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def signin_form_token(signing_key: str, nonce: str) -> str:
    """The CSRF token of the sign-in form, bound to a random nonce kept in a cookie.

    There is no session yet to keep a token in; an attacker's page can neither read the
    nonce cookie nor compute the token without the server's key.
    """
    key = hashlib.sha256(f"admin-console-signin:{signing_key}".encode()).digest()
    return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()


async def sign_in(
    session: AsyncSession, backends: Backends, *, login: str, password: str, address: str
) -> tuple[str, User]:
    """Check the credentials and open a console session; non-admins get the admin API's 404.

    Returns the browser's token (stored in the cache after the commit) and the admin.
    """
    user = await accounts_sessions.check_credentials(
        session, backends, login=login, password=password, client_address=address
    )
    if user.role != "admin":
        raise NotFound()
    auth_session = await accounts_sessions.open_session(
        session, user=user, device_name=DEVICE_NAME, ttl=SESSION_TTL
    )
    token = new_opaque_token()
    value = json.dumps({"session_id": str(auth_session.id), "csrf": new_opaque_token()})
    cache, ttl = backends.cache, int(SESSION_TTL.total_seconds())

    async def remember() -> None:
        await cache.set(_cache_key(token), value, ttl=ttl)

    outbox(session).after_commit(remember)
    return token, user


async def load(session: AsyncSession, backends: Backends, token: str) -> ConsoleSession | None:
    """The live session behind a browser token, whatever the user's role (the caller decides)."""
    raw = await backends.cache.get(_cache_key(token))
    if raw is None:
        return None
    stored = json.loads(raw)
    session_id = uuid.UUID(stored["session_id"])
    if await accounts_sessions.is_revoked(backends, session_id):
        return None
    active = await accounts_repository.get_active_session(session, session_id)
    if active is None:
        return None
    return ConsoleSession(auth_session=active[0], user=active[1], csrf_token=stored["csrf"])


async def sign_out(
    session: AsyncSession, backends: Backends, *, token: str, console: ConsoleSession
) -> None:
    await backends.cache.delete(_cache_key(token))
    await accounts_sessions.signout(session, backends, auth_session=console.auth_session)
