"""The mailed one-time links: the email address's verification and the password's reset."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import repository
from bca.accounts.models import EmailToken, User
from bca.backends import Backends
from bca.backends.tasks import enqueue_after_commit
from bca.core.security import hash_token, new_opaque_token
from bca.core.time import utcnow

VERIFY_TOKEN_TTL = timedelta(hours=48)
RESET_TOKEN_TTL = timedelta(hours=1)


async def email_token_is_valid(session: AsyncSession, *, token: str, purpose: str) -> bool:
    """Whether a mailed link still works, without using it (the pages ask before offering
    their button or form)."""
    return await repository.find_email_token(session, hash_token(token), purpose) is not None


async def send_email_token(
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
