"""The home page and the API docs, served entirely by this server (they work offline).

Swagger UI and ReDoc come from the ``fastapi-offline`` package, whose ``static`` folder holds
``swagger-ui-bundle.js``, ``swagger-ui.css`` and ``redoc.standalone.js``; this package's own
``static`` folder adds the script that starts Swagger UI, so that no page runs inline script.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from bca import __version__
from bca.backends.dependencies import SettingsDep
from bca.core.html import page_headers, templates
from bca.settings import Mode

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
            data_dir=settings.data_dir.resolve(),
            outbox=settings.outbox_path.resolve(),
            verification=settings.require_email_verification,
        )
    )
    return HTMLResponse(html, headers=page_headers())


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
