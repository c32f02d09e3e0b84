"""The admin API (``/v1/admin``): the same actions as the console, audited the same way."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from bca.accounts import administration as accounts
from bca.accounts.dependencies import AdminUser
from bca.accounts.routes import client_address, user_read
from bca.accounts.schemas import AdminUserRead, LockRequest
from bca.admin import service
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.core.http import PageDep, problems
from bca.core.pagination import Page, time_key

# The admin API does not exist for anyone else: 404, not 403 (see AdminUser).
router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=problems(404))


def _acting_admin(admin: AdminUser, request: Request) -> service.Actor:
    """The admin and the address they came from, as the audit names them."""
    return service.Actor(admin, client_address(request))


ActingAdmin = Annotated[service.Actor, Depends(_acting_admin)]


@router.get("/users", response_model=Page[AdminUserRead])
async def admin_list_users(
    _admin: AdminUser,
    session: SessionDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[AdminUserRead]:
    rows = await accounts.list_users(session, q=q, after=page.after, limit=page.fetch_limit)
    return page.cut(
        rows,
        key=time_key,
        item=lambda user: AdminUserRead(
            **user_read(user).model_dump(),
            locked=user.locked,
            deactivated=user.deactivated_at is not None,
        ),
    )


@router.post("/users/{user_id}/lock", status_code=204, responses=problems(403))
async def admin_lock_user(
    user_id: uuid.UUID,
    data: LockRequest,
    actor: ActingAdmin,
    session: SessionDep,
    backends: BackendsDep,
) -> None:
    name = "lock" if data.locked else "unlock"
    await service.perform_named(
        session, backends, actor=actor, on=("user", name), target_id=user_id
    )


@router.post("/users/{user_id}/revoke-sessions", status_code=204, responses=problems(403))
async def admin_revoke_sessions(
    user_id: uuid.UUID,
    actor: ActingAdmin,
    session: SessionDep,
    backends: BackendsDep,
) -> None:
    await service.perform_named(
        session, backends, actor=actor, on=("user", "revoke-sessions"), target_id=user_id
    )
