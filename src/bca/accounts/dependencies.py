"""Authentication of requests: ``CurrentUser``, ``CurrentSession``, ``AdminUser`` (bearer
access tokens) and ``BasicUser`` (HTTP Basic with an app password, for CardDAV clients)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)

from bca.accounts import repository
from bca.accounts.app_passwords import authenticate_app_password
from bca.accounts.errors import BasicAuthRequired
from bca.accounts.models import AuthSession, User
from bca.accounts.sessions import is_revoked
from bca.backends import Backends
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.core.boundary import has_unstorable
from bca.core.errors import NotFound, Unauthorized
from bca.core.security import decode_access_token

_bearer = HTTPBearer(auto_error=False, description="Access token from /v1/auth/signin")
_basic = HTTPBasic(auto_error=False, description="Username (or email) and an app password")


@dataclass(frozen=True)
class Principal:
    user: User
    session: AuthSession


async def authenticate(
    session: SessionDep,
    backends: BackendsDep,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthorized()
    principal = await principal_from_token(session, backends, credentials.credentials)
    if principal is None:
        raise Unauthorized("The access token is invalid, expired or revoked.")
    request.state.user_id = principal.user.id
    return principal


async def principal_from_token(
    session: SessionDep, backends: BackendsDep, token: str
) -> Principal | None:
    """Decode, check the revocation set, then load the live session and its user.

    The cache answers revocation at once across instances; the database row check behind it
    keeps revocation true even if the cache lost its state.
    """
    claims = decode_access_token(token, key=backends.settings.signing_key)
    if claims is None or await is_revoked(backends, claims.session_id):
        return None
    active = await repository.get_active_session(session, claims.session_id)
    if active is None or active[1].id != claims.user_id:
        return None
    return Principal(user=active[1], session=active[0])


async def user_id_from_token(backends: Backends, token: str) -> uuid.UUID | None:
    """``principal_from_token``'s checks, for callers that need only who it is: a long-poll,
    which a receiver repeats for every event, and a WebSocket handshake.

    The revocation set is asked every time, so a revocation still takes effect at once on
    every instance; the database check behind it (for a cache that lost its state) is made
    once per ``_LiveSessions.SECONDS`` for each session.
    """
    claims = decode_access_token(token, key=backends.settings.signing_key)
    if claims is None or await is_revoked(backends, claims.session_id):
        return None
    if _LIVE_SESSIONS.user_of(claims.session_id) == claims.user_id:
        return claims.user_id
    async with backends.database.reading() as session:
        user_id = await repository.active_session_user_id(session, claims.session_id)
    if user_id != claims.user_id:
        return None
    _LIVE_SESSIONS.remember(claims.session_id, claims.user_id)
    return claims.user_id


class _LiveSessions:
    """Sessions the database found live in the last few seconds, in this process."""

    SECONDS = 15.0
    LIMIT = 100_000

    def __init__(self) -> None:
        self._until: dict[uuid.UUID, tuple[uuid.UUID, float]] = {}

    def user_of(self, session_id: uuid.UUID) -> uuid.UUID | None:
        found = self._until.get(session_id)
        if found is None:
            return None
        if found[1] <= time.monotonic():
            del self._until[session_id]
            return None
        return found[0]

    def remember(self, session_id: uuid.UUID, user_id: uuid.UUID) -> None:
        now = time.monotonic()
        if len(self._until) >= self.LIMIT:
            self._until = {key: found for key, found in self._until.items() if found[1] > now}
            if len(self._until) >= self.LIMIT:
                return
        self._until[session_id] = (user_id, now + self.SECONDS)


_LIVE_SESSIONS = _LiveSessions()


PrincipalDep = Annotated[Principal, Depends(authenticate)]


async def authenticate_if_present(
    session: SessionDep,
    backends: BackendsDep,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """For endpoints with a public form: no token means anonymous, a bad token is still 401."""
    if credentials is None:
        return None
    return await authenticate(session, backends, request, credentials)


OptionalPrincipal = Annotated[Principal | None, Depends(authenticate_if_present)]


async def _current_user(principal: PrincipalDep) -> User:
    return principal.user


async def _current_session(principal: PrincipalDep) -> AuthSession:
    return principal.session


async def _admin_user(principal: PrincipalDep) -> User:
    # Admin endpoints do not exist for anyone else (404, not 403).
    if principal.user.role != "admin":
        raise NotFound()
    return principal.user


CurrentUser = Annotated[User, Depends(_current_user)]
CurrentSession = Annotated[AuthSession, Depends(_current_session)]
AdminUser = Annotated[User, Depends(_admin_user)]


async def _basic_user(
    session: SessionDep,
    backends: BackendsDep,
    request: Request,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> User:
    # The credentials come base64-encoded, past the boundary's check of the raw header.
    if credentials is None or has_unstorable(credentials.username):
        raise BasicAuthRequired()
    user = await authenticate_app_password(
        session,
        backends,
        login=credentials.username,
        secret=credentials.password,
        client_address=request.client.host if request.client else "unknown",
    )
    if user is None:
        raise BasicAuthRequired()
    request.state.user_id = user.id
    return user


BasicUser = Annotated[User, Depends(_basic_user)]
