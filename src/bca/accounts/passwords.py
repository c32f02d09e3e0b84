"""Passwords: asked again before a grave change, changed, and reset through a mailed link."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import repository
from bca.accounts.email_tokens import send_email_token
from bca.accounts.errors import InvalidCredentials, InvalidToken, WeakPassword
from bca.accounts.lockout import Lockout, account_key
from bca.accounts.models import AuthSession, User
from bca.accounts.rate_limits import rate_limiter
from bca.accounts.schemas import PasswordChangeRequest, PasswordResetConfirm, password_problem
from bca.accounts.sessions import revoke_everywhere
from bca.backends import Backends
from bca.core.ratelimit import RESET_PER_ADDRESS, RESET_PER_EMAIL
from bca.core.security import hash_token
from bca.core.time import utcnow


async def check_password_again(
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
    await check_password_again(
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
        await send_email_token(session, backends, user=user, purpose="reset")


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
