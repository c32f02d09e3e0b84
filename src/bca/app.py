"""The FastAPI application: routers, middleware, error handlers and the backends' lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

import bca.registry  # noqa: F401  # every domain's tables, tasks and sync entities
from bca import __version__
from bca.accounts import pages as account_pages
from bca.accounts.routes import router as accounts_router
from bca.admin.console import mount_console
from bca.admin.routes import router as admin_router
from bca.backends import Backends, readiness
from bca.backends.dependencies import BackendsDep, get_backends
from bca.carddav import routes as carddav_routes
from bca.carddav.errors import DavError, dav_error_response
from bca.cards import routes as cards_routes
from bca.chat import routes as chat_routes
from bca.core.errors import install_error_handlers, problem_response
from bca.core.http import NoContentHeaders
from bca.core.observability import ObservabilityMiddleware, configure_logging
from bca.core.openapi import install_problem_documents
from bca.files import routes as files_routes
from bca.home import install_home
from bca.profiles import routes as profiles_routes
from bca.realtime import routes as realtime_routes
from bca.settings import Settings
from bca.sync import routes as sync_routes
from bca.wiring import create_backends


def create_app(settings: Settings, *, backends: Backends | None = None) -> FastAPI:
    """Build the app; tests may pass ready-made ``backends`` to share them with fixtures."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = backends is None
        app.state.backends = backends or create_backends(settings)
        if owned:
            app.state.backends.tasks.start_periodic()
        try:
            yield
        finally:
            if owned:
                await app.state.backends.close()

    app = FastAPI(
        title="B.Ca API",
        version=__version__,
        description="The business-card messenger's HTTP API (see API.md for the contract).",
        lifespan=lifespan,
        docs_url=None,  # offline pages instead of FastAPI's CDN ones: see bca.home
        redoc_url=None,
    )
    if backends is not None:
        app.state.backends = backends
    install_error_handlers(app)
    app.add_exception_handler(DavError, dav_error_response)
    app.add_middleware(ObservabilityMiddleware)
    app.add_middleware(NoContentHeaders)
    app.add_middleware(realtime_routes.RealtimeEndpoint)
    # Routes are matched one after another, a few microseconds each: the busiest come first.
    for router in (
        chat_routes.router,
        sync_routes.router,
        accounts_router,
        profiles_routes.router,
        cards_routes.router,
        cards_routes.public_router,
        account_pages.router,
        files_routes.router,
        admin_router,
        carddav_routes.router,
    ):
        app.include_router(router)
    app.include_router(_operations_router())
    # Every route reaches the database and cache through get_backends: those may answer 503.
    install_problem_documents(app, backend_dependencies={get_backends})
    mount_console(app, settings)
    install_home(app)
    return app


def _operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(backends: BackendsDep) -> JSONResponse:
        status = await readiness(backends)
        if all(value == "ok" for value in status.values()):
            return JSONResponse({"status": "ok", "checks": status})
        return problem_response(
            status=503,
            code="unavailable",
            detail="A backend service is not available.",
            extra={"checks": status},
        )

    @router.get(
        "/metrics",
        response_class=Response,
        responses={200: {"description": "Prometheus text format", "content": {"text/plain": {}}}},
    )
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_app_from_environment() -> FastAPI:
    """Factory for uvicorn (``--workers`` needs an import string)."""
    from bca.settings import load_settings

    settings = load_settings()
    configure_logging(level=settings.log_level, json_format=settings.json_logs)
    return create_app(settings)
