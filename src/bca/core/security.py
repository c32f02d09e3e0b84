"""Passwords, opaque tokens and access JWTs."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import math
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeGuard

import anyio.to_thread
import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from bca.core.time import utcnow

JWT_ALGORITHM = "HS256"


class Passwords:
    """argon2id hashing; defaults are argon2-cffi's RFC 9106 low-memory profile.

    The cost is configurable so that test suites can hash cheaply; hashes made with other
    parameters still verify, and ``needs_rehash`` lets sign-in upgrade them.
    """

    def __init__(
        self, *, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # Verified against when the login names nobody, so unknown users cost the same time.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        # argon2 is deliberately slow; keep it off the event loop.
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        def verify() -> bool:
            try:
                self._hasher.verify(password_hash or self._dummy_hash, password)
            except (VerificationError, InvalidHashError):
                return False
            return password_hash is not None

        return await anyio.to_thread.run_sync(verify)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def successor_token(token: str, *, key: str) -> str:
    """The refresh token that replaces ``token`` when it is spent: HMAC-derived with the
    server's key, so it is as unguessable as a random one to anyone without the key, and a
    repeat of ``token`` within the grace window gets the same successor without the server
    ever storing a token in the clear."""
    digest = hmac.new(key.encode(), b"refresh-rotation:" + token.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    """Opaque tokens carry 256 bits of entropy, so a fast hash is enough to store them.

    Tokens are found by their hash through a unique index, never compared in Python: timing
    then reveals at most something about a hash, not about the token.
    """
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID


def issue_access_token(
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    key: str,
    ttl_seconds: int,
    issued_at: datetime | None = None,
) -> str:
    """A signed access token; the same arguments (``issued_at`` included, to the second) give
    the same token, which is how a refresh repeated within its grace window is answered."""
    now = issued_at or utcnow()
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
        "typ": "access",
    }
    return jwt.encode(claims, key, algorithm=JWT_ALGORITHM)


def decode_access_token(token: str, *, key: str) -> AccessClaims | None:
    """The claims of a valid, unexpired access token; None for anything else.

    Every authenticated request decodes its token, and PyJWT's checks are pure Python (a
    fraction of a millisecond): a token's verified claims are remembered, and only its expiry
    is checked again each time. Bounded, so that garbage tokens cannot grow it.
    """
    verified = _verified_claims(token, key)
    if verified is None or verified[1] <= time.time():
        return None
    return verified[0]


@functools.lru_cache(maxsize=4096)
def _verified_claims(token: str, key: str) -> tuple[AccessClaims, float] | None:
    """Every claim the server reads is checked for its type here: a token signed with the
    right key but shaped wrong (a number for ``sid``, a list for ``iat``, an infinite expiry)
    is as invalid as a forged one, never a crash."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", "sub", "sid"], "verify_exp": False},
        )
    except (jwt.PyJWTError, TypeError, ValueError, OverflowError):
        # PyJWT converts ``iat`` and ``nbf`` with int(), which raises on lists and infinities.
        return None
    if not isinstance(claims, dict):
        return None
    subject, session, expires = claims.get("sub"), claims.get("sid"), claims.get("exp")
    if (
        claims.get("typ") != "access"
        or not isinstance(subject, str)
        or not isinstance(session, str)
        or not _is_time(expires)
        or not _is_time(claims.get("iat"))
    ):
        return None
    try:
        return AccessClaims(user_id=uuid.UUID(subject), session_id=uuid.UUID(session)), expires
    except ValueError:
        return None


def _is_time(value: object) -> TypeGuard[int | float]:
    """A NumericDate (RFC 7519): a finite number, not a boolean (which Python counts as one)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
