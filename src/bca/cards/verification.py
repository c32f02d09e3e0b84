"""Verified emails on cards: the owner proves they read one of the card's addresses with a
mailed one-time code or link; the card then shows the address as verified for 365 days.

- A request mails a six-digit code and a link to that address, and nothing else is ever sent
  there. Both work for 15 minutes; a new request replaces them. The code allows 5 wrong
  tries, then a new one must be asked for. Code and link are stored only as HMACs keyed with
  the server's secret (a stolen table does not give six-digit codes away to a brute force),
  and the code is compared in constant time; the link is found by its hash through a unique
  index. Neither is ever logged (the link's ``token=`` is redacted from request logs).
- Sends are rate-limited per card, per address (across all cards: nobody uses B.Ca to mail
  a stranger repeatedly) and per user.
- Removing or changing the address on the card clears its verification and any pending code
  (``bca.cards.service.update_card``); verifying again before
  expiry renews it. Expired entries vanish from every read at once and leave the rows (and
  so the offline copies) through the periodic ``cards.expire_verifications``.
- ``work`` is false at free-mail domains (``bca.cards.free_mail``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.backends import Backends
from bca.backends.tasks import enqueue_after_commit
from bca.cards import repository
from bca.cards.errors import (
    CardNotFound,
    EmailNotOnCard,
    InvalidVerificationCode,
    VerificationAttemptsExhausted,
)
from bca.cards.models import Card, CardEmailVerification
from bca.cards.service import owned_card
from bca.cards.sync import record_card_change
from bca.cards.verified import add_verified, emails_of, keep_verified, normalise_email
from bca.core.ratelimit import Limit, RateLimiter
from bca.core.security import hash_token, new_opaque_token
from bca.core.time import utcnow
from bca.core.versioning import bump

logger = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 5
SENDS_PER_CARD = Limit(5, 3600)
SENDS_PER_ADDRESS = Limit(3, 3600)
SENDS_PER_USER = Limit(10, 24 * 3600)
EXPIRED_BATCH = 500


class WrongVerificationCode(InvalidVerificationCode):
    """A wrong code: refused, and the attempt it used is kept."""

    commit_anyway = True


def _code_hash(secret_key: str, verification_id: uuid.UUID, code: str) -> str:
    message = f"card-email-code:{verification_id}:{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def verification_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/verify-card-email?token={token}"


async def request_verification(
    session: AsyncSession, backends: Backends, *, user: User, card_id: uuid.UUID, email: str
) -> CardEmailVerification:
    """Mail a code and a link to ``email``, one of my card's addresses."""
    card, _ = await owned_card(session, user=user, card_id=card_id)
    address = normalise_email(email)
    if address not in emails_of(card.data):
        raise EmailNotOnCard()
    limiter = RateLimiter(backends.cache, enabled=backends.settings.rate_limit_enabled)
    await limiter.hit("card-verify-card", str(card.id), SENDS_PER_CARD)
    await limiter.hit("card-verify-address", address, SENDS_PER_ADDRESS)
    await limiter.hit("card-verify-user", str(user.id), SENDS_PER_USER)
    code = f"{secrets.randbelow(1_000_000):06d}"
    token = new_opaque_token()
    verification_id = uuid.uuid4()
    verification = CardEmailVerification(
        id=verification_id,
        card_id=card.id,
        user_id=user.id,
        email=address,
        code_hash=_code_hash(backends.settings.signing_key, verification_id, code),
        token_hash=hash_token(token),
        attempts=0,
        expires_at=utcnow() + CODE_TTL,
    )
    await repository.replace_pending_verification(session, verification)
    text = (
        f"Your B.Ca verification code is {code}\n\n"
        f'Someone asked to show {address} as verified on the card "{card.name}".\n'
        f"If it was you, enter the code in the app, or open this link, within 15 minutes:\n"
        f"{verification_link(backends.settings.public_url, token)}\n\n"
        f"If it was not you, ignore this mail: nothing changes, and B.Ca will not write to\n"
        f"this address about anything else.\n"
    )
    enqueue_after_commit(
        session,
        backends.tasks,
        "accounts.send_email",
        to=address,
        subject="Your B.Ca verification code",
        text=text,
    )
    return verification


async def confirm_code(
    session: AsyncSession,
    backends: Backends,
    *,
    user: User,
    card_id: uuid.UUID,
    email: str,
    code: str,
) -> Card:
    card, _ = await owned_card(session, user=user, card_id=card_id)
    address = normalise_email(email)
    pending = await repository.pending_verification(session, card.id, address)
    if pending is None or pending.expires_at <= utcnow():
        raise InvalidVerificationCode()
    if pending.attempts >= MAX_ATTEMPTS:
        raise VerificationAttemptsExhausted()
    expected = _code_hash(backends.settings.signing_key, pending.id, code.strip())
    if not hmac.compare_digest(pending.code_hash, expected):
        pending.attempts += 1
        raise WrongVerificationCode()
    return await _verified(session, card, pending)


async def verification_link_is_valid(session: AsyncSession, *, token: str) -> bool:
    """Whether a mailed link still works, without using it (the page asks first)."""
    found = await repository.verification_by_token(
        session, hash_token(token), now=utcnow(), lock=False
    )
    return found is not None


async def confirm_link(session: AsyncSession, *, token: str) -> Card:
    """The mailed link, opened and confirmed: the link is the proof, no sign-in needed."""
    pending = await repository.verification_by_token(
        session, hash_token(token), now=utcnow(), lock=True
    )
    if pending is None:
        raise InvalidVerificationCode()
    card = await repository.lock(session, pending.card_id)
    if card is None:
        raise CardNotFound()
    return await _verified(session, card, pending)


async def _verified(session: AsyncSession, card: Card, pending: CardEmailVerification) -> Card:
    await repository.delete_verification(session, pending.id)
    if pending.email not in emails_of(card.data):
        # The address left the card since the code was sent (it is normally cleared then).
        raise InvalidVerificationCode()
    add_verified(card, pending.email, now=utcnow())
    bump(card)
    await session.flush()
    await record_card_change(session, card.id)
    return card


async def expire_verifications(backends: Backends) -> None:
    """Periodic: expired badges leave their cards (so offline copies drop them too), and
    codes expired a day ago are forgotten."""
    now = utcnow()
    async with backends.database.transaction() as session:
        cards = await repository.lock_cards_with_expired_badges(
            session, now=now, limit=EXPIRED_BATCH
        )
        for card in cards:
            if keep_verified(card, now=now):
                bump(card)
                await session.flush()
                await record_card_change(session, card.id)
        purged = await repository.purge_stale_verifications(session, before=now - timedelta(days=1))
    logger.info("expired badges on %d cards; purged %d old codes", len(cards), purged)
