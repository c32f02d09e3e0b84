"""CardDAV over HTTP: discovery, PROPFIND, REPORT, GET, and 403 for every write.

Outside ``/v1`` and outside the OpenAPI document (WebDAV methods and XML bodies are not what
the JSON API describes). Authentication is HTTP Basic with an app password (``BasicUser``).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from bca.accounts.dependencies import BasicUser
from bca.backends.dependencies import BackendsDep, SessionDep, SettingsDep
from bca.carddav.paths import ROOT
from bca.carddav.service import AddressBooks
from bca.carddav.vcards import VCARD_MEDIA_TYPE
from bca.carddav.xml import MEDIA_TYPE
from bca.core.errors import TooLarge
from bca.files import service as files_service
from bca.files.http import file_response

MAX_BODY_BYTES = 1024 * 1024
WRITE_METHODS = ["PUT", "DELETE", "PROPPATCH", "MKCOL", "COPY", "MOVE"]
READ_METHODS = ["OPTIONS", "GET", "HEAD", "PROPFIND", "REPORT"]
DAV_HEADERS = {"DAV": "1, 3, addressbook", "Allow": ", ".join(READ_METHODS + WRITE_METHODS)}

router = APIRouter(include_in_schema=False)


def _address_books(session: SessionDep, user: BasicUser, settings: SettingsDep) -> AddressBooks:
    return AddressBooks(session, user, public_url=settings.public_url)


AddressBooksDep = Annotated[AddressBooks, Depends(_address_books)]


async def _body(request: Request) -> bytes:
    """The request body, refused (413) past 1 MiB before it is all read."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise TooLarge()
    return bytes(body)


BodyDep = Annotated[bytes, Depends(_body)]


def _multistatus(body: bytes) -> Response:
    return Response(body, status_code=207, media_type=MEDIA_TYPE, headers=DAV_HEADERS)


@router.api_route("/.well-known/carddav", methods=["GET", "HEAD", "PROPFIND", "OPTIONS"])
async def well_known() -> Response:
    """RFC 6764 §5: the service root, for clients given only the host name."""
    return RedirectResponse(ROOT, status_code=301)


@router.options("/dav")
@router.options(ROOT + "{path:path}")
async def options() -> Response:
    """Unauthenticated, as clients probe it before they send credentials."""
    return Response(headers=DAV_HEADERS)


@router.api_route(ROOT + "files/{file_id}", methods=["GET", "HEAD"])
async def photo(
    file_id: uuid.UUID, user: BasicUser, session: SessionDep, backends: BackendsDep
) -> Response:
    """A vCard's PHOTO: a card preview or profile image the caller may see."""
    return file_response(
        await files_service.open_file(session, backends, user=user, file_id=file_id)
    )


@router.api_route("/dav", methods=["PROPFIND"])
@router.api_route(ROOT + "{path:path}", methods=["PROPFIND"])
async def propfind(
    books: AddressBooksDep, body: BodyDep, request: Request, path: str = ""
) -> Response:
    depth = request.headers.get("depth")
    return _multistatus(await books.propfind(path, depth=depth, body=body))


@router.api_route("/dav", methods=["REPORT"])
@router.api_route(ROOT + "{path:path}", methods=["REPORT"])
async def report(books: AddressBooksDep, body: BodyDep, path: str = "") -> Response:
    return _multistatus(await books.report(path, body=body))


@router.api_route(ROOT + "{path:path}", methods=["GET", "HEAD"])
async def get(books: AddressBooksDep, request: Request, path: str) -> Response:
    vcard = await books.get(path, accept=request.headers.get("accept"))
    headers = dict(DAV_HEADERS)
    if vcard.etag is not None:
        headers["ETag"] = vcard.etag
        if vcard.etag in {
            tag.strip() for tag in request.headers.get("if-none-match", "").split(",")
        }:
            return Response(status_code=304, headers=headers)
    media_type = f"{VCARD_MEDIA_TYPE}; version={vcard.version}"
    return Response(vcard.text, media_type=media_type, headers=headers)


@router.api_route("/dav", methods=WRITE_METHODS)
@router.api_route(ROOT + "{path:path}", methods=WRITE_METHODS)
async def write(books: AddressBooksDep, request: Request, path: str = "") -> Response:
    """Read-only: 403 with ``DAV:need-privileges`` naming what the write would need."""
    await books.refuse_write(path, method=request.method)
