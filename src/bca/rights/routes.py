"""A person's exports of their data: ask for one, list them, download one."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse, StreamingResponse

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.core.http import problems
from bca.rights import service
from bca.rights.schemas import ExportList, ExportRead

router = APIRouter(prefix="/v1/me/exports", tags=["accounts"])


@router.post(
    "",
    status_code=202,
    response_model=ExportRead,
    responses=problems(409, 429),
    summary="Ask for a copy of everything of mine",
)
async def request_export(
    user: CurrentUser, session: SessionDep, backends: BackendsDep
) -> ExportRead:
    """The worker builds one ZIP of everything of the account (see `docs/api.md`, "A person's
    data") and mails its owner when it is ready. One at a time (409 `export_pending`), three a
    day (429 `rate_limited`)."""
    export = await service.request_export(session, backends, user=user)
    return ExportRead.from_row(export, public_url=backends.settings.public_url)


@router.get("", response_model=ExportList, summary="My exports, newest first")
async def list_exports(user: CurrentUser, session: SessionDep, backends: BackendsDep) -> ExportList:
    """The latest 20; a ready one is downloadable for 7 days, then deleted."""
    rows = await service.list_exports(session, user=user)
    public_url = backends.settings.public_url
    return ExportList(exports=[ExportRead.from_row(row, public_url=public_url) for row in rows])


@router.get(
    "/{export_id}/download",
    response_class=Response,
    responses={
        200: {"description": "The ZIP (local storage)", "content": {"application/zip": {}}},
        307: {"description": "Redirect to a short-lived pre-signed object-storage URL"},
    },
    summary="Download a ready export",
)
async def download_export(
    export_id: uuid.UUID, user: CurrentUser, session: SessionDep, backends: BackendsDep
) -> Response:
    """404 unless it is the caller's, ready and not yet expired."""
    download = await service.open_export(session, backends, user=user, export_id=export_id)
    if download.redirect_url is not None:
        return RedirectResponse(
            download.redirect_url, status_code=307, headers={"Cache-Control": "no-store"}
        )
    export = download.export
    assert download.body is not None
    return StreamingResponse(
        download.body,
        media_type="application/zip",
        headers={
            "Content-Length": str(export.size),
            "Content-Disposition": f'attachment; filename="{service.download_name(export)}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
