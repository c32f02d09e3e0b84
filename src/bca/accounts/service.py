"""The rules of accounts and sessions: who may sign in, how tokens rotate, what revokes what.

Sign-up and email verification, sign-in, refresh and sign-out, passwords, and the account
itself. An operator's actions on accounts are in ``administration``, app passwords (CardDAV's
HTTP Basic) in ``app_passwords``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import hooks, repository
from bca.accounts.errors import (
    AccountLocked,
    AlreadyVerified,
    EmailTaken,
    EmailUnverified,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidToken,
    RefreshTokenReused,
    UsernameTaken,
    WeakPassword,
)
from bca.accounts.lockout import Lockout, account_key
from bca.accounts.models import AuthSession, EmailToken, RefreshToken, User
from bca.accounts.schemas import (
    PasswordChangeRequest,
    PasswordResetConfirm,
    PushTokenRequest,
    SigninRequest,
    SignupRequest,
    password_problem,
)
from bca.backends import Backends
from bca.backends.pubsub import publish_revocations
from bca.backends.tasks import enqueue_after_commit
from bca.core.db import outbox
from bca.core.errors import NotFound
from bca.core.ratelimit import (
    AVAILABILITY_PER_ADDRESS,
    RESEND_PER_ADDRESS,
    RESEND_PER_LOGIN,
    RESEND_PER_USER,
    RESET_PER_ADDRESS,
    RESET_PER_EMAIL,
    SIGNIN_PER_ADDRESS,
    SIGNUP_PER_ADDRESS,
    RateLimiter,
)
from bca.core.security import (
    Passwords,
    hash_token,
    issue_access_token,
    new_opaque_token,
    successor_token,
)
from bca.core.time import utcnow

VERIFY_TOKEN_TTL = timedelta(hours=48)
RESET_TOKEN_TTL = timedelta(hours=1)
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


def rate_limiter(backends: Backends) -> RateLimiter:
    return RateLimiter(backends.cache, enabled=backends.settings.rate_limit_enabled)


# --- sign-up and email verification -------------------------------------------------------


async def signup(
    session: AsyncSession, backends: Backends, *, data: SignupRequest, client_address: str
) -> User:
    await rate_limiter(backends).hit("signup", client_address, SIGNUP_PER_ADDRESS)
    user = await create_account(session, backends.passwords, data=data)
    await _send_email_token(session, backends, user=user, purpose="verify")
    return user


async def create_account(
    session: AsyncSession,
    passwords: Passwords,
    *,
    data: SignupRequest,
    role: str = "user",
    verified: bool = False,
) -> User:
    """The account, and what other domains make for it (``accounts.hooks``: its change-log
    counter, its first profile), in the caller's transaction."""
    if await repository.email_exists(session, data.email):
        raise EmailTaken()
    if await repository.username_exists(session, data.username):
        raise UsernameTaken()
    user = User(
        email=data.email,
        username=data.username,
        nickname=data.nickname,
        password_hash=await passwords.hash(data.password),
        role=role,
        email_verified_at=utcnow() if verified else None,
    )
    try:
        # A savepoint, so that losing a race on the unique constraints leaves the transaction
        # usable to find out which one was lost.
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:
        if await repository.email_exists(session, data.email):
            raise EmailTaken() from None
        raise UsernameTaken() from None
    await hooks.account_created(session, user)
    return user


async def verify_email(session: AsyncSession, *, token: str) -> None:
    user_id = await repository.use_email_token(session, hash_token(token), "verify")
    user = await repository.get_user(session, user_id) if user_id else None
    if user is None:
        raise InvalidToken()
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()


async def email_token_is_valid(session: AsyncSession, *, token: str, purpose: str) -> bool:
    """Whether a mailed link still works, without using it (the pages ask before offering
    their button or form)."""
    return await repository.find_email_token(session, hash_token(token), purpose) is not None


async def resend_verification(session: AsyncSession, backends: Backends, *, user: User) -> None:
    if user.email_verified_at is not None:
        raise AlreadyVerified()
    await rate_limiter(backends).hit("resend", str(user.id), RESEND_PER_USER)
    await _send_email_token(session, backends, user=user, purpose="verify")


async def resend_verification_public(
    session: AsyncSession, backends: Backends, *, login: str, client_address: str
) -> None:
    """For someone who cannot sign in yet: a new link if ``login`` names an account that
    waits for verification, and the same silence otherwise.

    The per-address and per-login limits answer 429 alike for every login; the per-account
    limit (shared with the signed-in form) only stops the mail, since a 429 there would tell
    that the account exists.
    """
    limiter = rate_limiter(backends)
    await limiter.hit("resend-address", client_address, RESEND_PER_ADDRESS)
    await limiter.hit("resend-login", login.strip().lower(), RESEND_PER_LOGIN)
    user = await repository.find_user_by_login(session, login)
    if user is None or user.email_verified_at is not None or user.deactivated_at is not None:
        return
    if await limiter.allow("resend", str(user.id), RESEND_PER_USER):
        await _send_email_token(session, backends, user=user, purpose="verify")


async def _send_email_token(
    session: AsyncSession, backends: Backends, *, user: User, purpose: str
) -> None:
    token = new_opaque_token()
    ttl = VERIFY_TOKEN_TTL if purpose == "verify" else RESET_TOKEN_TTL
    session.add(
        EmailToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(token),
            expires_at=utcnow() + ttl,
        )
    )
    public_url = backends.settings.public_url.rstrip("/")
    if purpose == "verify":
        subject = "Confirm your B.Ca email address"
        text = (
            f"Hello {user.nickname or user.username},\n\n"
            f"confirm your address by opening this link within 48 hours:\n"
            f"{public_url}/verify-email?token={token}\n"
        )
    else:
        subject = "Reset your B.Ca password"
        text = (
            f"Hello {user.nickname or user.username},\n\n"
            f"someone asked to reset your password. If it was you, open this link within an hour:\n"
            f"{public_url}/reset-password?token={token}\n\n"
            f"If it was not you, ignore this mail; your password stays as it is.\n"
        )
    enqueue_after_commit(
        session, backends.tasks, "accounts.send_email", to=user.email, subject=subject, text=text
    )


# --- sign-in, refresh, sign-out ------------------------------------------------------------


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
    if user is None or not password_ok or user.deactivated_at is not None:
        await lockout.password_failed(key, attempt)
        raise InvalidCredentials()
    await lockout.password_succeeded(key)
    if backends.passwords.needs_rehash(user.password_hash):
        user.password_hash = await backends.passwords.hash(password)
    # Only someone who knows the password learns about the account's state.
    if user.locked:
        raise AccountLocked()
    if backends.settings.require_email_verification and user.email_verified_at is None:
        raise EmailUnverified()
    return user


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


# --- passwords -----------------------------------------------------------------------------


async def _check_password_again(
    session: AsyncSession, backends: Backends, user: User, password: str, wrong: str
) -> None:
    """A signed-in user's password, asked again before a grave change: counted towards the
    sign-in lockout, or a stolen access token would allow unlimited guessing."""
    lockout = Lockout(session)
    key = account_key(user, user.username)
    attempt = await lockout.attempt_password(key)
    if not await backends.passwords.verify(user.password_hash, password):
        await lockout.password_failed(key, attempt)
        raise InvalidCredentials(wrong)
    await lockout.password_succeeded(key)


def _check_new_password(user: User, password: str, field: str) -> None:
    problem = password_problem(password, username=user.username, email=user.email)
    if problem:
        raise WeakPassword(field, problem)


async def change_password(
    session: AsyncSession,
    backends: Backends,
    *,
    user: User,
    auth_session: AuthSession,
    data: PasswordChangeRequest,
) -> None:
    await _check_password_again(
        session, backends, user, data.current_password, "The current password is wrong."
    )
    _check_new_password(user, data.new_password, "new_password")
    user.password_hash = await backends.passwords.hash(data.new_password)
    await revoke_everywhere(session, backends, user.id, except_session=auth_session.id)


async def request_password_reset(
    session: AsyncSession, backends: Backends, *, email: str, client_address: str
) -> None:
    """Always succeeds from the caller's view; only an existing active account gets a mail."""
    limiter = rate_limiter(backends)
    await limiter.hit("reset", client_address, RESET_PER_ADDRESS)
    await limiter.hit("reset-email", email, RESET_PER_EMAIL)
    user = await repository.find_user_by_login(session, email)
    if user is not None and user.deactivated_at is None:
        await _send_email_token(session, backends, user=user, purpose="reset")


async def confirm_password_reset(
    session: AsyncSession, backends: Backends, *, data: PasswordResetConfirm
) -> None:
    """Every refusal comes before the first write, so a refused password leaves the token
    usable and the reset page can simply ask again."""
    token_hash = hash_token(data.token)
    token = await repository.find_email_token(session, token_hash, "reset")
    user = await repository.get_user(session, token.user_id) if token else None
    if user is None or user.deactivated_at is not None:
        raise InvalidToken()
    _check_new_password(user, data.new_password, "new_password")
    # The conditional UPDATE decides a race between two submissions of the same link.
    if await repository.use_email_token(session, token_hash, "reset") != user.id:
        raise InvalidToken()
    user.password_hash = await backends.passwords.hash(data.new_password)
    # Receiving the mail proves control of the address.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    await revoke_everywhere(session, backends, user.id)


# --- the account itself --------------------------------------------------------------------


async def availability(
    session: AsyncSession,
    backends: Backends,
    *,
    email: str | None,
    username: str | None,
    client_address: str,
) -> tuple[bool | None, bool | None]:
    """Free or taken; limited per address, since it tells which addresses have accounts."""
    await rate_limiter(backends).hit("availability", client_address, AVAILABILITY_PER_ADDRESS)
    email_free = None if email is None else not await repository.email_exists(session, email)
    username_free = (
        None if username is None else not await repository.username_exists(session, username)
    )
    return email_free, username_free


async def update_me(session: AsyncSession, *, user: User, nickname: str | None) -> User:
    user.nickname = nickname
    await session.flush()
    return user


async def deactivate(
    session: AsyncSession, backends: Backends, *, user: User, password: str
) -> None:
    await _check_password_again(session, backends, user, password, "The password is wrong.")
    await deactivate_now(session, backends, user)


async def deactivate_now(session: AsyncSession, backends: Backends, user: User) -> None:
    """Deactivate without asking for the password (the owner gave it, or an operator acts)."""
    user.deactivated_at = utcnow()
    await session.flush()
    # Its profiles vanish for everyone: their sync copies must drop them too.
    await hooks.account_shown_or_hidden(session, user)
    await revoke_everywhere(session, backends, user.id)
