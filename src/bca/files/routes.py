from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.files import service
from bca.files.http import FILE_RESPONSES, MULTIPART_BODY, UPLOAD_ERRORS, UploadDep, file_response
from bca.files.schemas import FileRead
from bca.files.urls import file_url

router = APIRouter(prefix="/v1", tags=["files"])


@router.post(
    "/files",
    status_code=201,
    response_model=FileRead,
    openapi_extra=MULTIPART_BODY,
    responses=UPLOAD_ERRORS,
)
async def upload_file(
    source: UploadDep, user: CurrentUser, session: SessionDep, backends: BackendsDep
) -> FileRead:
    """Upload a chat attachment: PNG, JPEG, GIF or WebP image, PDF, or UTF-8 plain text.

    The type is read from the content. Images are re-encoded (metadata such as EXIF is
    dropped). The file is visible to its uploader, and to a chat's participants once posted.
    """
    row = await service.upload_file(session, backends, user=user, source=source)
    return FileRead(
        id=row.id,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        url=file_url(backends.settings.public_url, row.id),
        name=service.download_name(row),
    )


@router.get("/files/{file_id}", response_class=Response, responses=FILE_RESPONSES)
async def get_file(
    file_id: uuid.UUID, user: CurrentUser, session: SessionDep, backends: BackendsDep
) -> Response:
    """The file's bytes, or a 307 to a pre-signed URL valid for five minutes (S3)."""
    download = await service.open_file(session, backends, user=user, file_id=file_id)
    return file_response(download)
