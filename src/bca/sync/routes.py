from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.core.http import problems
from bca.sync import service
from bca.sync.schemas import ChangesPage, SnapshotPending

router = APIRouter(prefix="/v1", tags=["sync"])

_SNAPSHOT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The snapshot file (SQLite); docs/api.md gives its schema.",
        "content": {service.SNAPSHOT_MEDIA_TYPE: {}},
    },
    202: {"model": SnapshotPending, "description": "The first snapshot is being built."},
    304: {"description": "Unchanged since the ETag given in If-None-Match."},
}


@router.get("/sync/changes", response_model=ChangesPage, responses=problems(410))
async def changes(
    session: SessionDep,
    backends: BackendsDep,
    user: CurrentUser,
    since: Annotated[
        str | None, Query(max_length=40, description="Cursor of the last sync.")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=service.MAX_CHANGES_LIMIT)
    ] = service.DEFAULT_CHANGES_LIMIT,
) -> ChangesPage:
    batch = await service.changes(session, backends, user=user, since=since, limit=limit)
    return ChangesPage.model_validate(
        {"changes": batch.changes, "cursor": str(batch.cursor), "has_more": batch.has_more}
    )


def _snapshot_response(result: service.SnapshotReady | service.SnapshotBuilding) -> Response:
    if isinstance(result, service.SnapshotBuilding):
        return JSONResponse(
            SnapshotPending(retry_after=result.retry_after).model_dump(),
            status_code=status.HTTP_202_ACCEPTED,
            headers={"Retry-After": str(result.retry_after)},
        )
    headers = result.headers.as_dict()
    if result.not_modified:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    if result.body is None:
        return Response(media_type=service.SNAPSHOT_MEDIA_TYPE, headers=headers)
    return StreamingResponse(result.body, media_type=service.SNAPSHOT_MEDIA_TYPE, headers=headers)


@router.head(
    "/sync/snapshot",
    responses=_SNAPSHOT_RESPONSES | problems(406),
    response_class=Response,
    name="head_snapshot",
)
@router.get(
    "/sync/snapshot", responses=_SNAPSHOT_RESPONSES | problems(406), response_class=Response
)
async def get_snapshot(
    request: Request,
    session: SessionDep,
    backends: BackendsDep,
    user: CurrentUser,
    if_none_match: Annotated[str | None, Header(max_length=500)] = None,
    schema_version: Annotated[
        int | None,
        Query(
            ge=1,
            le=1_000_000,
            description="The snapshot schema version the client reads: another one than the "
            "server writes answers 406 `schema_unsupported` (update the app). Without it, the "
            "current file (its `meta` and the `BCA-Sync-Schema` header say which version).",
        ),
    ] = None,
) -> Response:
    """The user's snapshot file (docs/api.md, "Snapshots", gives its schema)."""
    # HEAD answers the same status and headers as GET, without reading the body.
    result = await service.snapshot(
        session,
        backends,
        user=user,
        if_none_match=if_none_match,
        with_body=request.method != "HEAD",
        schema_version=schema_version,
    )
    return _snapshot_response(result)


@router.delete("/sync/snapshot", status_code=status.HTTP_202_ACCEPTED, response_class=Response)
async def rebuild_snapshot(
    session: SessionDep, backends: BackendsDep, user: CurrentUser
) -> Response:
    await service.request_rebuild(session, backends, user=user)
    return Response(status_code=status.HTTP_202_ACCEPTED)
