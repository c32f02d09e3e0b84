"""The home page and the API docs, served entirely by this server (they work offline).

Swagger UI and ReDoc come from the ``fastapi-offline`` package, whose ``static`` folder holds
``swagger-ui-bundle.js``, ``swagger-ui.css`` and ``redoc.standalone.js``; this package's own
``static`` folder adds the script that starts Swagger UI, so that no page runs inline script.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import make_url

from bca import __version__
from bca.backends.dependencies import SettingsDep
from bca.core.html import page_headers, templates
from bca.settings import Mode, Settings

ASSETS_PATH = "/assets"
OPENAPI_URL = "/openapi.json"

# The docs run the vendored scripts (files from this server only, never inline), style
# themselves inline and draw icons from data: URLs; ReDoc searches in a blob: worker.
DOCS_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "worker-src 'self' blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(settings: SettingsDep) -> HTMLResponse:
    """What this server is, where its docs are, and (embedded) how to take the first steps."""
    html = (
        templates()
        .get_template("home.html")
        .render(
            version=__version__,
            mode=settings.mode.value,
            first_steps=settings.mode is Mode.embedded,
            base_url=settings.public_url.rstrip("/"),
            database_file=_database_file(settings),
            outbox=settings.outbox_path.resolve(),
            verification=settings.require_email_verification,
        )
    )
    return HTMLResponse(html, headers=page_headers())


def _database_file(settings: Settings) -> Path | None:
    """The embedded SQLite file, or None when the database is elsewhere (PostgreSQL)."""
    if not settings.is_sqlite:
        return None
    url = make_url(settings.resolved_database_url)
    return Path(url.database or "").resolve()


def _docs_page(template: str) -> HTMLResponse:
    html = (
        templates()
        .get_template(template)
        .render(title="B.Ca API", assets=ASSETS_PATH, openapi_url=OPENAPI_URL)
    )
    return HTMLResponse(html, headers=DOCS_HEADERS)


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui() -> HTMLResponse:
    return _docs_page("docs.html")


REDOC_BUNDLE = "redoc.standalone.js"
REDOCLY_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
# An empty picture in place of Redocly's logo, which the bundle fetches from its CDN (a CSP
# error in the console of an offline page); the page allows data: images.
EMPTY_IMAGE = b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


@functools.cache
def _redoc_bundle() -> bytes:
    bundle = files("fastapi_offline").joinpath("static", REDOC_BUNDLE).read_bytes()
    return bundle.replace(REDOCLY_LOGO, EMPTY_IMAGE)


@router.get(f"{ASSETS_PATH}/{REDOC_BUNDLE}")
async def redoc_bundle() -> Response:
    """ReDoc's bundle as vendored, but for the one address it loads from elsewhere (routes
    are matched before the assets' mount)."""
    return Response(
        _redoc_bundle(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/redoc", response_class=HTMLResponse)
async def redoc() -> HTMLResponse:
    return _docs_page("redoc.html")


def install_home(app: FastAPI) -> None:
    """The pages above and their assets; the app must be built with docs_url=None and
    redoc_url=None, so that FastAPI's CDN-loading pages stay out of the way."""
    app.include_router(router)
    app.mount(
        ASSETS_PATH,
        StaticFiles(packages=[("bca", "static"), ("fastapi_offline", "static")]),
        name="assets",
    )
