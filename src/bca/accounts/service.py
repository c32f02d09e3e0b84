"""The rules of accounts: sign-up and email verification, and the account itself.

Sessions (sign-in, refresh, sign-out, revocation) are in ``sessions``, passwords in
``passwords``, the mailed links in ``email_tokens``, an operator's actions on accounts in
``administration``, app passwords (CardDAV's HTTP Basic) in ``app_passwords``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import hooks, repository
from bca.accounts.email_tokens import send_email_token
from bca.accounts.errors import AlreadyVerified, EmailTaken, InvalidToken, UsernameTaken
from bca.accounts.models import User
from bca.accounts.passwords import check_password_again
from bca.accounts.rate_limits import rate_limiter
from bca.accounts.schemas import SignupRequest
from bca.accounts.sessions import revoke_everywhere
from bca.backends import Backends
from bca.core.ratelimit import (
    AVAILABILITY_PER_ADDRESS,
    RESEND_PER_ADDRESS,
    RESEND_PER_LOGIN,
    RESEND_PER_USER,
    SIGNUP_PER_ADDRESS,
)
from bca.core.security import Passwords, hash_token
from bca.core.time import utcnow


async def signup(
    session: AsyncSession, backends: Backends, *, data: SignupRequest, client_address: str
) -> User:
    await rate_limiter(backends).hit("signup", client_address, SIGNUP_PER_ADDRESS)
    user = await create_account(session, backends.passwords, data=data)
    await send_email_token(session, backends, user=user, purpose="verify")
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


async def resend_verification(session: AsyncSession, backends: Backends, *, user: User) -> None:
    if user.email_verified_at is not None:
        raise AlreadyVerified()
    await rate_limiter(backends).hit("resend", str(user.id), RESEND_PER_USER)
    await send_email_token(session, backends, user=user, purpose="verify")


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
        await send_email_token(session, backends, user=user, purpose="verify")


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
    """The owner deletes their account: deactivated at once, erased after the grace period
    (``erasure_grace_days``) unless they sign in with their password before."""
    await check_password_again(session, backends, user, password, "The password is wrong.")
    await deactivate_now(session, backends, user)
    user.erase_after = utcnow() + timedelta(days=backends.settings.erasure_grace_days)


async def deactivate_now(session: AsyncSession, backends: Backends, user: User) -> None:
    """Deactivate without asking for the password (the owner gave it, or an operator acts)."""
    user.deactivated_at = utcnow()
    await session.flush()
    # Its profiles vanish for everyone: their sync copies must drop them too.
    await hooks.account_shown_or_hidden(session, user)
    await revoke_everywhere(session, backends, user.id)
