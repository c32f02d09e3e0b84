from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep, SettingsDep
from bca.contacts.schemas import ContactRead
from bca.core.http import problems, tagged
from bca.files.http import MULTIPART_BODY, UPLOAD_ERRORS, UploadDep
from bca.files.urls import file_url
from bca.scans import service
from bca.scans.schemas import ScanAccept, ScanCreated, ScanRead

router = APIRouter(prefix="/v1", tags=["scans"])
Region = Annotated[
    str | None,
    Query(
        min_length=2,
        max_length=2,
        description="Region of numbers printed without a country code (default: the server's "
        "BCA_SCAN_DEFAULT_REGION)",
    ),
]


@router.post(
    "/profiles/{me}/scans",
    status_code=202,
    response_model=ScanCreated,
    openapi_extra=MULTIPART_BODY,
    responses=UPLOAD_ERRORS
    | problems(404)
    | {
        429: {
            "description": (
                "scans_pending: 10 of your scans are still being read; `Retry-After` says"
                " when to send more"
            )
        }
    },
)
async def create_scan(
    me: uuid.UUID,
    source: UploadDep,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
    response: Response,
    region: Region = None,
) -> ScanCreated:
    """Upload a photo of a paper business card (PNG, JPEG, GIF or WebP) to be read; poll
    ``GET /v1/scans/{id}`` for the proposed contact."""
    scan = await service.create_scan(
        session, backends, user=user, my_profile_id=me, source=source, region=region
    )
    response.headers["Location"] = f"/v1/scans/{scan.id}"
    return ScanCreated(id=scan.id, status="pending")


@router.get("/scans/{scan_id}", response_model=ScanRead, responses=problems(404))
async def get_scan(
    scan_id: uuid.UUID, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ScanRead:
    """``pending`` while being read; ``done`` with the proposed fields (each with a
    confidence), the raw text and suggestions of public B.Ca cards; or ``failed`` with a
    reason."""
    scan, suggestions = await service.get_scan(session, user=user, scan_id=scan_id)
    return ScanRead.from_row(
        scan, suggestions=suggestions, image_url=file_url(settings.public_url, scan.file_id)
    )


@router.post(
    "/scans/{scan_id}/accept",
    response_model=ContactRead,
    status_code=201,
    responses={200: {"model": ContactRead, "description": "Accepted before"}, **problems(404, 409)},
)
async def accept_scan(
    scan_id: uuid.UUID,
    corrections: ScanAccept,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> ContactRead:
    """Create the contact from the scan: fields sent replace the proposal's; the photo
    becomes the contact's image. 201 the first time, 200 with the same contact after."""
    contact, created = await service.accept(
        session, user=user, scan_id=scan_id, corrections=corrections
    )
    response.status_code = 201 if created else 200
    return tagged(response, contact, ContactRead.from_row(contact, public_url=settings.public_url))
