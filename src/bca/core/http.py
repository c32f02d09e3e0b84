"""HTTP details every domain's routes share: the problem documents a route documents, the
page parameters (``PageDep``), entity tags and ``If-Match`` (``tagged``, ``IfMatchDep``; the
rules are in ``bca.core.versioning``), vCard downloads (their file names are made by
``bca.core.filenames``) and the headers of a 204. Only routes import this module: commands
and workers load no web framework."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Query, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bca.core.filenames import content_disposition
from bca.core.openapi import PROBLEM_DESCRIPTIONS
from bca.core.pagination import CURSOR_PATTERN, DEFAULT_LIMIT, MAX_LIMIT, PageParams
from bca.core.versioning import IfMatch, Versioned, etag, parse_if_match

T = TypeVar("T")

_BODY_HEADERS = (b"content-type", b"content-length")


def vcard_download(text: str, name: str) -> Response:
    """A vCard to save as ``name``.vcf (the name cut to 100 characters); never sniffed."""
    return Response(
        text.encode(),
        media_type="text/vcard; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition("attachment", f"{name[:100]}.vcf"),
            "X-Content-Type-Options": "nosniff",
        },
    )


Headers = list[tuple[bytes, bytes]]


class HeaderRewrite:
    """ASGI middleware that rewrites the headers of every HTTP response as it starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def rewrite(self, scope: Scope, status: int, headers: Headers) -> Headers:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_rewritten(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                message["headers"] = self.rewrite(scope, message["status"], headers)
            await send(message)

        await self.app(scope, receive, send_rewritten)


class NoContentHeaders(HeaderRewrite):
    """A 204 carries no content, so it carries no Content-Type either (RFC 9110, 15.3.5).

    FastAPI gives a 204 route's empty answer the JSON response class's headers unless each
    route names a plain ``Response``; doing it here once keeps every route right.
    """

    def rewrite(self, scope: Scope, status: int, headers: Headers) -> Headers:
        if status != 204:
            return headers
        return [(name, value) for name, value in headers if name.lower() not in _BODY_HEADERS]


class HeadAsGet:
    """``HEAD`` on the pages monitors and people probe (``/``, ``/healthz``, ``/docs`` ...) is
    their ``GET`` without the body (RFC 9110, 9.3.2), instead of 405: FastAPI's routes answer
    only the methods they name. Other paths are untouched (routes that serve ``HEAD`` name it,
    so that a download is not read just to be dropped)."""

    def __init__(self, app: ASGIApp, *, paths: frozenset[str]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(dict(scope, method="GET"), receive, without_body)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for the errors a route's own rules raise (403, 409, 429 ...).

    Only these: what follows from the route's shape (401, 404, 412, 413, 415, 422, 503) and
    every error's ``application/problem+json`` content are added to the OpenAPI document for
    every route alike (core.openapi).
    """
    return {status: {"description": PROBLEM_DESCRIPTIONS[status]} for status in statuses}


async def page_params(
    cursor: Annotated[
        str | None,
        Query(
            max_length=500,
            pattern=CURSOR_PATTERN,
            description=(
                "Opaque: the `next_cursor` of the previous page; empty or left out for the"
                " first page; any other value is 422."
            ),
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> PageParams:
    return PageParams(cursor=cursor, limit=limit)


PageDep = Annotated[PageParams, Depends(page_params)]


def tagged(response: Response, row: Versioned, body: T) -> T:
    """``body``, answered with ``row``'s entity tag."""
    response.headers["ETag"] = etag(row.version)
    return body


async def _if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=1000,
            description='The ETag (`"<version>"`) this change is based on; 412 when stale.',
        ),
    ] = None,
) -> IfMatch | None:
    return parse_if_match(if_match)


IfMatchDep = Annotated[IfMatch | None, Depends(_if_match)]
