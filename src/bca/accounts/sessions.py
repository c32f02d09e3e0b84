"""Sessions, one per signed-in device: sign-in, refresh-token rotation with reuse detection,
sign-out, revocation (announced to every instance), and the device's push token."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import hooks, repository
from bca.accounts.errors import (
    AccountLocked,
    EmailUnverified,
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshTokenReused,
)
from bca.accounts.lockout import Lockout, account_key
from bca.accounts.models import AuthSession, RefreshToken, User
from bca.accounts.rate_limits import rate_limiter
from bca.accounts.schemas import PushTokenRequest, SigninRequest
from bca.backends import Backends
from bca.backends.pubsub import publish_revocations
from bca.core.db import outbox
from bca.core.errors import NotFound
from bca.core.ratelimit import SIGNIN_PER_ADDRESS
from bca.core.security import hash_token, issue_access_token, new_opaque_token, successor_token
from bca.core.time import utcnow

REFRESH_GRACE = timedelta(seconds=10)
"""A spent refresh token repeated this soon gets the same new pair instead of revoking."""


def revoked_session_key(session_id: uuid.UUID) -> str:
    return f"revoked-session:{session_id}"


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session: AuthSession
    user: User


async def check_credentials(
    session: AsyncSession, backends: Backends, *, login: str, password: str, client_address: str
) -> User:
    """The account that ``login`` and ``password`` name, if it may sign in.

    Every sign-in surface (the API, the admin console) goes through here, so they share the
    per-address rate limit, the per-account lockout and the argon2 timing.
    """
    await rate_limiter(backends).hit("signin", client_address, SIGNIN_PER_ADDRESS)
    lockout = Lockout(session)
    user = await repository.find_user_by_login(session, login)
    key = account_key(user, login)
    attempt = await lockout.attempt_password(key)
    password_ok = await backends.passwords.verify(user.password_hash if user else None, password)
    if user is None or not password_ok or not _may_come_back(user):
        await lockout.password_failed(key, attempt)
        raise InvalidCredentials()
    await lockout.password_succeeded(key)
    if user.deactivated_at is not None:
        await cancel_erasure(session, user)
    if backends.passwords.needs_rehash(user.password_hash):
        user.password_hash = await backends.passwords.hash(password)
    # Only someone who knows the password learns about the account's state.
    if user.locked:
        raise AccountLocked()
    if backends.settings.require_email_verification and user.email_verified_at is None:
        raise EmailUnverified()
    return user


def _may_come_back(user: User) -> bool:
    """Active, or deleted by its owner and not erased yet (signing in cancels the erasure);
    an account an operator deactivated stays out."""
    if user.deactivated_at is None:
        return True
    return user.erase_after is not None and user.erase_after > utcnow()


async def cancel_erasure(session: AsyncSession, user: User) -> None:
    """The owner came back within the grace period: the account and its profiles return."""
    user.deactivated_at = None
    user.erase_after = None
    await session.flush()
    await hooks.account_shown_or_hidden(session, user)


async def open_session(
    session: AsyncSession, *, user: User, device_name: str | None, ttl: timedelta
) -> AuthSession:
    now = utcnow()
    auth_session = AuthSession(
        user_id=user.id,
        device_name=device_name,
        created_at=now,
        last_used_at=now,
        expires_at=now + ttl,
    )
    session.add(auth_session)
    await session.flush()
    return auth_session


async def signin(
    session: AsyncSession, backends: Backends, *, data: SigninRequest, client_address: str
) -> IssuedTokens:
    user = await check_credentials(
        session,
        backends,
        login=data.login,
        password=data.password,
        client_address=client_address,
    )
    auth_session = await open_session(
        session,
        user=user,
        device_name=data.device_name,
        ttl=timedelta(days=backends.settings.refresh_token_ttl_days),
    )
    return _issue_tokens(session, backends, auth_session=auth_session, user=user)


def _issue_tokens(
    session: AsyncSession, backends: Backends, *, auth_session: AuthSession, user: User
) -> IssuedTokens:
    refresh_token = new_opaque_token()
    session.add(RefreshToken(session_id=auth_session.id, token_hash=hash_token(refresh_token)))
    return _token_pair(backends, auth_session, user, refresh_token, issued_at=utcnow())


def _token_pair(
    backends: Backends,
    auth_session: AuthSession,
    user: User,
    refresh_token: str,
    *,
    issued_at: datetime,
) -> IssuedTokens:
    ttl = backends.settings.access_token_ttl_seconds
    access_token = issue_access_token(
        user_id=user.id,
        session_id=auth_session.id,
        key=backends.settings.signing_key,
        ttl_seconds=ttl,
        issued_at=issued_at,
    )
    return IssuedTokens(access_token, refresh_token, ttl, auth_session, user)


async def refresh(session: AsyncSession, backends: Backends, *, refresh_token: str) -> IssuedTokens:
    """Rotate a refresh token: the successor and an access token issued at the spending time.

    A repeat of the token within ``REFRESH_GRACE`` of its spending, while its successor is
    still unspent, gets the very same pair (two tabs, or a retry after a lost answer, refresh
    at once): the successor is derived from the token (``successor_token``) and the access
    token from the spending time. Any other repeat is reuse (RFC 9700): the session is revoked.
    """
    now = utcnow()
    token_hash = hash_token(refresh_token)
    successor = successor_token(refresh_token, key=backends.settings.signing_key)
    session_id = await repository.spend_refresh_token(session, token_hash, now=now)
    if session_id is None:
        spent = await repository.find_spent_refresh_token(session, token_hash)
        if spent is None:
            raise InvalidRefreshToken()
        reused_session, spent_at = spent
        if now - spent_at <= REFRESH_GRACE and await repository.refresh_token_is_live(
            session, hash_token(successor)
        ):
            repeated = await repository.get_active_session(session, reused_session)
            if repeated is None:
                raise InvalidRefreshToken()
            return _token_pair(backends, *repeated, successor, issued_at=spent_at)
        # RFC 9700 reuse detection: either the client or a thief holds a stolen token;
        # revoking the whole family stops the thief at the cost of one re-sign-in.
        if await repository.revoke_session(session, reused_session):
            announce_revoked(session, backends, [reused_session])
        raise RefreshTokenReused()
    active = await repository.get_active_session(session, session_id)
    if active is None:
        raise InvalidRefreshToken()
    auth_session, user = active
    auth_session.last_used_at = now
    session.add(
        RefreshToken(session_id=auth_session.id, token_hash=hash_token(successor), created_at=now)
    )
    return _token_pair(backends, auth_session, user, successor, issued_at=now)


def announce_revoked(
    session: AsyncSession, backends: Backends, session_ids: list[uuid.UUID]
) -> None:
    """After commit, put the sessions in the revocation set and tell every instance.

    Access tokens stay valid for at most their lifetime, so the set entries expire with them.
    WebSocket connections of these sessions are closed by whoever listens on the channel.
    """
    if not session_ids:
        return
    ttl = backends.settings.access_token_ttl_seconds

    async def announce() -> None:
        for session_id in session_ids:
            await backends.cache.set(revoked_session_key(session_id), "1", ttl=ttl)
        await publish_revocations(backends.cache, session_ids)

    outbox(session).after_commit(announce)


async def is_revoked(backends: Backends, session_id: uuid.UUID) -> bool:
    return await backends.cache.exists(revoked_session_key(session_id))


async def signout(session: AsyncSession, backends: Backends, *, auth_session: AuthSession) -> None:
    if await repository.revoke_session(session, auth_session.id):
        announce_revoked(session, backends, [auth_session.id])


async def signout_all(session: AsyncSession, backends: Backends, *, user: User) -> None:
    await revoke_everywhere(session, backends, user.id)


async def revoke_everywhere(
    session: AsyncSession,
    backends: Backends,
    user_id: uuid.UUID,
    *,
    except_session: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """End every session and every app password of a user (the current session may stay);
    returns the ended sessions' ids.

    App passwords follow the sessions' revocation rules: whatever signs a user out
    everywhere (password change or reset, lock, deactivation, sign-out-all, an admin) also
    disconnects their address-book clients.
    """
    await repository.revoke_app_passwords(session, user_id)
    revoked = await repository.revoke_sessions(session, user_id, except_session=except_session)
    announce_revoked(session, backends, revoked)
    return revoked


async def list_sessions(
    session: AsyncSession, *, user: User, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> Sequence[AuthSession]:
    return await repository.list_active_sessions(session, user.id, after=after, limit=limit)


async def delete_session(
    session: AsyncSession, backends: Backends, *, user: User, session_id: uuid.UUID
) -> None:
    target = await session.get(AuthSession, session_id)
    if target is None or target.user_id != user.id or target.revoked_at is not None:
        raise NotFound()
    await repository.revoke_session(session, session_id)
    announce_revoked(session, backends, [session_id])


async def set_push_token(
    session: AsyncSession, *, auth_session: AuthSession, data: PushTokenRequest
) -> None:
    await repository.clear_push_token(session, data.token)
    auth_session.push_token = data.token
    auth_session.push_platform = data.platform


async def forget_push_token(session: AsyncSession, *, session_id: uuid.UUID, token: str) -> None:
    """The push service no longer knows this device's token (only if the session still holds
    it: the device may have sent a new one since)."""
    await repository.forget_push_token(session, session_id=session_id, token=token)


async def clear_push_token(session: AsyncSession, *, auth_session: AuthSession) -> None:
    auth_session.push_token = None
    auth_session.push_platform = None
