"""HTTP plumbing shared by every route that takes an upload or serves a stored file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse

from bca.core.http import problems
from bca.files.kinds import ATTACHMENT_KINDS, IMAGE_KINDS, Kind
from bca.files.service import Download, UploadSource


async def _upload_source(request: Request) -> UploadSource:
    # The body is handed over unread: FastAPI's UploadFile would spool all of it first.
    return UploadSource(
        body=request.stream(),
        content_type=request.headers.get("content-type"),
        content_length=request.headers.get("content-length"),
    )


UploadDep = Annotated[UploadSource, Depends(_upload_source)]

MULTIPART_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        },
    }
}

UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {
        "description": "too_large: over the upload limit, an image over 25 megapixels, or an "
        "animation over the frame or pixel budget"
    },
    415: {"description": "unsupported_media_type: the content is not an accepted type"},
    422: {
        "description": "validation_error: no file part, an empty file, a bad file name, or an "
        "image that cannot be decoded or encoded again"
    },
}


def file_responses(kinds: Iterable[Kind]) -> dict[int | str, dict[str, Any]]:
    """A stored file's answers: its bytes in the type it was stored as, or a redirect."""
    types = sorted({kind.content_type.split(";")[0] for kind in kinds})
    return {
        200: {"description": "The bytes (local storage)", "content": {name: {} for name in types}},
        307: {"description": "Redirect to a short-lived pre-signed object-storage URL"},
    }


FILE_RESPONSES = file_responses(ATTACHMENT_KINDS)
IMAGE_RESPONSES = file_responses(IMAGE_KINDS)


def file_response(download: Download) -> Response:
    if download.redirect_url is not None:
        return RedirectResponse(
            download.redirect_url, status_code=307, headers={"Cache-Control": "no-store"}
        )
    assert download.body is not None
    return StreamingResponse(
        download.body,
        media_type=download.file.content_type,
        headers={
            "Content-Length": str(download.file.size),
            "Content-Disposition": download.content_disposition,
            "ETag": f'"{download.file.sha256}"',
            "Cache-Control": "private, max-age=300",
            # Served bytes are data, never a page: no sniffing into HTML, no scripts, no forms.
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


REPLACE_IMAGE_ROUTE: dict[str, Any] = {
    "openapi_extra": MULTIPART_BODY,
    "responses": UPLOAD_ERRORS | problems(403, 404, 412),
}
"""The route options of an image upload that replaces a versioned row's image (``If-Match``)."""
