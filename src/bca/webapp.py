"""The B.Ca web app (``web/``, built by Vite into ``web/dist``) served at ``/app/``.

- Files come from ``settings.web_dist`` (``BCA_WEB_DIST``), looked up on every request, so a
  build finished while the server runs is served at once.
- Vite's hashed files under ``assets/`` never change under their name: cached for a year,
  ``immutable``. Everything else (``index.html``, ``sw.js``, the manifest, icons) is
  revalidated on every use (``no-cache`` with an ``ETag``), so a new build reaches every
  browser on its next visit and the service worker sees its own update.
- A path without a file extension that names no file is one of the app's screens: it gets
  ``index.html`` (the app routes it). A missing file with an extension is a 404.
- No path leaves the folder: ``..``, absolute paths, backslashes, NUL bytes and symbolic
  links that point out of it are all 404.
- Every answer carries a Content-Security-Policy without ``unsafe-inline``: the app's scripts
  and styles come from this server only; ``wasm-unsafe-eval`` lets it compile WebAssembly
  (the QR decoder, SQLite).
- Text, scripts and WebAssembly go gzipped to a browser that accepts it (a phone on a slow
  network waits for bytes, not for the CPU): each file is compressed once per version and kept
  in memory, a few hundred kilobytes in all.
- Without a build, ``/app/`` answers a short page (503) that says how to build one.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
from email.utils import formatdate
from functools import lru_cache
from pathlib import Path, PurePosixPath

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from bca.core.errors import NotFound
from bca.core.html import page_headers, templates
from bca.settings import Settings

APP_PATH = "/app"
HASHED_FOLDER = "assets"
INDEX = "index.html"
SHARE_TARGET = APP_PATH + "/share-target"
SHARE_SCREEN = APP_PATH + "/chats/share"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# Types this app ships, whatever the machine's /etc/mime.types says (some have none for
# .webmanifest or .wasm, and a module script with the wrong type does not run).
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".txt": "text/plain; charset=utf-8",
}


COMPRESSIBLE = frozenset(
    (".html", ".js", ".mjs", ".css", ".json", ".map", ".webmanifest", ".wasm", ".svg", ".txt")
)
COMPRESS_FROM_BYTES = 1024


def app_headers() -> dict[str, str]:
    """Headers of every answer under /app/ (the files and the SPA's screens alike)."""
    return {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        # Share links and mailed links carry tokens: other sites never see the app's URLs.
        "Referrer-Policy": "same-origin",
    }


def media_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def resolve(root: Path, relative: str) -> Path | None:
    """The regular file ``relative`` names inside ``root``, or None (missing or outside)."""
    if "\x00" in relative or "\\" in relative:
        return None
    parts = PurePosixPath(relative).parts
    if relative.startswith("/") or any(part in ("..", ".") for part in parts):
        return None
    try:
        base = root.resolve(strict=True)
        candidate = base.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a loop of links, a name too long
        return None
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate


def _etag(stat: os.stat_result) -> str:
    base = f"{stat.st_mtime_ns}-{stat.st_size}".encode()
    return f'"{hashlib.md5(base, usedforsecurity=False).hexdigest()}"'


def _not_modified(request: Request, etag: str) -> bool:
    wanted = request.headers.get("if-none-match")
    if wanted is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    return etag in tags or "*" in tags


@lru_cache(maxsize=256)
def _gzipped(path: Path, mtime_ns: int, size: int) -> bytes:
    """The file gzipped, once per version (name, modification time and size)."""
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


def _accepts_gzip(request: Request) -> bool:
    for coding in request.headers.get("accept-encoding", "").split(","):
        name, _, parameters = coding.strip().partition(";")
        if name.strip().lower() == "gzip":
            return parameters.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def file_response(request: Request, path: Path, relative: str) -> Response:
    stat = path.stat()
    compress = path.suffix.lower() in COMPRESSIBLE and stat.st_size >= COMPRESS_FROM_BYTES
    zipped = compress and _accepts_gzip(request)
    etag = _etag(stat)
    if zipped:
        etag = etag[:-1] + '-gzip"'
    headers = app_headers() | {
        "Cache-Control": IMMUTABLE if relative.startswith(f"{HASHED_FOLDER}/") else REVALIDATE,
        "ETag": etag,
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
    }
    if path.name == "sw.js":
        # Its scope is /app/ already; said outright so that a proxy rewriting paths keeps it.
        headers["Service-Worker-Allowed"] = f"{APP_PATH}/"
    if compress:
        headers["Vary"] = "Accept-Encoding"
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    if zipped:
        headers["Content-Encoding"] = "gzip"
        body = _gzipped(path, stat.st_mtime_ns, stat.st_size)
        return Response(body, media_type=media_type(path), headers=headers)
    return FileResponse(path, media_type=media_type(path), headers=headers, stat_result=stat)


def not_built(root: Path) -> HTMLResponse:
    html = templates().get_template("webapp_missing.html").render(dist=root)
    headers = page_headers() | {"Retry-After": "60"}
    return HTMLResponse(html, status_code=503, headers=headers)


def _is_screen(relative: str) -> bool:
    """A path the app routes itself: no file extension in its last segment."""
    return "." not in PurePosixPath(relative or "/").name


def install_webapp(app: FastAPI, settings: Settings) -> None:
    """``GET``/``HEAD`` ``/app/`` and everything under it, out of the OpenAPI document."""
    router = APIRouter(include_in_schema=False)

    @router.api_route(APP_PATH, methods=["GET", "HEAD"])
    async def app_root() -> RedirectResponse:
        return RedirectResponse(f"{APP_PATH}/", status_code=308)

    @router.post(SHARE_TARGET)
    async def share_target() -> RedirectResponse:
        """Another app shared to B.Ca (the manifest's ``share_target``). The service worker
        answers this itself and keeps what was shared; reaching the server means no worker
        controls the page yet, so the app opens its share screen empty-handed."""
        return RedirectResponse(SHARE_SCREEN, status_code=303)

    @router.api_route(APP_PATH + "/{relative:path}", methods=["GET", "HEAD"])
    async def app_file(request: Request, relative: str) -> Response:
        root = settings.web_dist
        if relative and relative != INDEX:
            found = resolve(root, relative)
            if found is not None:
                return file_response(request, found, relative)
            if not _is_screen(relative):
                raise NotFound()
        index = resolve(root, INDEX)
        if index is None:
            return not_built(root)
        return file_response(request, index, INDEX)

    app.include_router(router)
