from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from bca.accounts import app_passwords, passwords, service, sessions
from bca.accounts.dependencies import CurrentSession, CurrentUser, OptionalPrincipal
from bca.accounts.errors import ResendFormInvalid
from bca.accounts.models import AppPassword, User
from bca.accounts.schemas import (
    AppPasswordCreate,
    AppPasswordCreated,
    AppPasswordRead,
    Availability,
    AvailabilityQuery,
    CardDavSetup,
    DeactivateRequest,
    MeUpdate,
    PasswordChangeRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
    PushTokenRequest,
    RefreshRequest,
    ResendRequest,
    SessionRead,
    SigninRequest,
    SignupRequest,
    TokenPair,
    TokenRequest,
    UserRead,
)
from bca.backends.dependencies import BackendsDep, SessionDep, SettingsDep
from bca.core.http import PageDep, problems
from bca.core.pagination import Page, time_key

router = APIRouter(prefix="/v1", tags=["accounts"])


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        username=user.username,
        nickname=user.nickname,
        email_verified=user.email_verified_at is not None,
        role="admin" if user.role == "admin" else "user",
        created_at=user.created_at,
    )


def token_pair(issued: sessions.IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        session_id=issued.session.id,
        user=user_read(issued.user),
    )


@router.post("/auth/signup", status_code=201, response_model=UserRead, responses=problems(409, 429))
async def signup(
    data: SignupRequest, session: SessionDep, backends: BackendsDep, request: Request
) -> UserRead:
    user = await service.signup(
        session, backends, data=data, client_address=client_address(request)
    )
    return user_read(user)


@router.get(
    "/auth/availability",
    response_model=Availability,
    response_model_exclude_none=True,
    responses=problems(429),
)
async def availability(
    query: Annotated[AvailabilityQuery, Query()],
    session: SessionDep,
    backends: BackendsDep,
    request: Request,
) -> Availability:
    """Whether an email address and/or a username are free (ask about at least one)."""
    email_free, username_free = await service.availability(
        session,
        backends,
        email=query.email,
        username=query.username,
        client_address=client_address(request),
    )
    return Availability(email=email_free, username=username_free)


@router.post("/auth/email/verify", status_code=204)
async def verify_email(data: TokenRequest, session: SessionDep) -> None:
    await service.verify_email(session, token=data.token)


@router.post(
    "/auth/email/resend",
    status_code=202,
    response_class=Response,
    responses={409: {"description": "already_verified (signed-in form)"}, **problems(429)},
)
async def resend_verification(
    principal: OptionalPrincipal,
    session: SessionDep,
    backends: BackendsDep,
    request: Request,
    data: Annotated[ResendRequest | None, Body()] = None,
) -> None:
    """Send a new verification link: signed in with no body, or public with ``{login}``.

    The public form answers 202 whether or not the account exists or is already verified.
    """
    if principal is not None and data is None:
        await service.resend_verification(session, backends, user=principal.user)
    elif principal is None and data is not None:
        await service.resend_verification_public(
            session, backends, login=data.login, client_address=client_address(request)
        )
    else:
        raise ResendFormInvalid()


@router.post("/auth/signin", response_model=TokenPair, responses=problems(401, 403, 423, 429))
async def signin(
    data: SigninRequest, session: SessionDep, backends: BackendsDep, request: Request
) -> TokenPair:
    issued = await sessions.signin(
        session, backends, data=data, client_address=client_address(request)
    )
    return token_pair(issued)


@router.post("/auth/refresh", response_model=TokenPair, responses=problems(401))
async def refresh(data: RefreshRequest, session: SessionDep, backends: BackendsDep) -> TokenPair:
    """Rotate a refresh token: a new pair, the old token spent.

    A repeat of the token just rotated, within 10 seconds and while its successor is unspent,
    answers 200 with the very same pair (two tabs, or a retry after a lost answer). Any other
    repeat of a spent token is `token_reused`: the session is revoked (RFC 9700).
    """
    return token_pair(await sessions.refresh(session, backends, refresh_token=data.refresh_token))


@router.post("/auth/signout", status_code=204)
async def signout(current: CurrentSession, session: SessionDep, backends: BackendsDep) -> None:
    await sessions.signout(session, backends, auth_session=current)


@router.post("/auth/signout-all", status_code=204)
async def signout_all(user: CurrentUser, session: SessionDep, backends: BackendsDep) -> None:
    await sessions.signout_all(session, backends, user=user)


@router.post("/auth/password/change", status_code=204, responses=problems(429))
async def change_password(
    data: PasswordChangeRequest,
    user: CurrentUser,
    current: CurrentSession,
    session: SessionDep,
    backends: BackendsDep,
) -> None:
    await passwords.change_password(session, backends, user=user, auth_session=current, data=data)


@router.post(
    "/auth/password/reset", status_code=202, response_class=Response, responses=problems(429)
)
async def request_password_reset(
    data: PasswordResetRequest, session: SessionDep, backends: BackendsDep, request: Request
) -> None:
    await passwords.request_password_reset(
        session, backends, email=data.email, client_address=client_address(request)
    )


@router.post("/auth/password/reset/confirm", status_code=204)
async def confirm_password_reset(
    data: PasswordResetConfirm, session: SessionDep, backends: BackendsDep
) -> None:
    await passwords.confirm_password_reset(session, backends, data=data)


@router.get("/sessions", response_model=Page[SessionRead])
async def list_sessions(
    user: CurrentUser, current: CurrentSession, session: SessionDep, page: PageDep
) -> Page[SessionRead]:
    rows = await sessions.list_sessions(
        session, user=user, after=page.after, limit=page.fetch_limit
    )
    return page.cut(
        rows,
        key=time_key,
        item=lambda row: SessionRead(
            id=row.id,
            device_name=row.device_name,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            current=row.id == current.id,
        ),
    )


@router.put("/sessions/current/push", status_code=204)
async def set_push_token(
    data: PushTokenRequest, current: CurrentSession, session: SessionDep
) -> None:
    await sessions.set_push_token(session, auth_session=current, data=data)


@router.delete("/sessions/current/push", status_code=204)
async def clear_push_token(current: CurrentSession, session: SessionDep) -> None:
    await sessions.clear_push_token(session, auth_session=current)


@router.delete("/sessions/{session_id}", status_code=204)
async def delete_session(
    session_id: uuid.UUID, user: CurrentUser, session: SessionDep, backends: BackendsDep
) -> None:
    await sessions.delete_session(session, backends, user=user, session_id=session_id)


@router.get("/me", response_model=UserRead)
async def get_me(user: CurrentUser) -> UserRead:
    return user_read(user)


@router.patch("/me", response_model=UserRead)
async def update_me(data: MeUpdate, user: CurrentUser, session: SessionDep) -> UserRead:
    return user_read(await service.update_me(session, user=user, nickname=data.nickname))


@router.delete(
    "/me",
    status_code=204,
    responses=problems(429),
    summary="Delete my account (erased after the grace period)",
)
async def deactivate_me(
    data: DeactivateRequest, user: CurrentUser, session: SessionDep, backends: BackendsDep
) -> None:
    """Deactivates at once (every session revoked, the profiles vanish for everyone) and
    schedules the erasure of everything of the account `BCA_ERASURE_GRACE_DAYS` (14) days
    later; signing in with the password before then calls it off. Messages in chats with
    others then stay as redacted events by a deleted profile."""
    await service.deactivate(session, backends, user=user, password=data.password)


def app_password_read(row: AppPassword) -> AppPasswordRead:
    return AppPasswordRead(
        id=row.id, name=row.name, created_at=row.created_at, last_used_at=row.last_used_at
    )


@router.post(
    "/app-passwords",
    status_code=201,
    response_model=AppPasswordCreated,
    responses={409: {"description": "limit_reached: 50 live app passwords"}},
)
async def create_app_password(
    data: AppPasswordCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> AppPasswordCreated:
    """A secret for one device's contacts app (CardDAV, HTTP Basic); shown only in this reply."""
    created = await app_passwords.create_app_password(session, user=user, name=data.name)
    return AppPasswordCreated(
        **app_password_read(created.row).model_dump(),
        password=created.secret,
        username=user.username,
        server_url=carddav_url(settings.public_url),
    )


def carddav_url(public_url: str) -> str:
    return f"{public_url.rstrip('/')}/dav/"


@router.get("/app-passwords/setup", response_model=CardDavSetup)
async def carddav_setup(user: CurrentUser, settings: SettingsDep) -> CardDavSetup:
    """The address and username to type into a contacts app (DAVx⁵, iOS), with an app password."""
    return CardDavSetup(
        server_url=carddav_url(settings.public_url), username=user.username, email=user.email
    )


@router.get("/app-passwords", response_model=Page[AppPasswordRead])
async def list_app_passwords(
    user: CurrentUser, session: SessionDep, page: PageDep
) -> Page[AppPasswordRead]:
    rows = await app_passwords.list_app_passwords(
        session, user=user, after=page.after, limit=page.fetch_limit
    )
    return page.cut(rows, key=time_key, item=app_password_read)


@router.delete("/app-passwords/{app_password_id}", status_code=204)
async def revoke_app_password(
    app_password_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> None:
    await app_passwords.revoke_app_password(session, user=user, app_password_id=app_password_id)
