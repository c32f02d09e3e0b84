"""The FastAPI application: routers, middleware, error handlers and the backends' lifespan."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bca import __version__
from bca.admin.console import mount_console
from bca.backends import Backends, readiness_report
from bca.backends.dependencies import BackendsDep, get_backends
from bca.chat.long_poll import LongPollEndpoint
from bca.core.boundary import ErrorBoundary, InputBoundary, SingleHeaders
from bca.core.domain import Domain
from bca.core.error_handlers import install_error_handlers
from bca.core.errors import NotFound
from bca.core.faults import RETRY_AFTER_SECONDS, BackendFaults
from bca.core.http import HeadAsGet, NoContentHeaders
from bca.core.observability import ObservabilityMiddleware, configure_logging
from bca.core.openapi import install_problem_documents
from bca.core.problems import problem_response
from bca.domains import DOMAINS, assemble, routing_order
from bca.files.uploads import MULTIPART_OVERHEAD
from bca.home import install_home
from bca.realtime import routes as realtime_routes
from bca.scans.reading import ocr_problem
from bca.settings import Settings
from bca.webapp import install_webapp
from bca.wiring import create_backends

HEAD_PATHS = frozenset({"/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz"})
"""Pages that answer HEAD as well as GET (the API's resources name HEAD where they serve it)."""


def create_app(
    settings: Settings,
    *,
    backends: Backends | None = None,
    domains: Sequence[Domain] = DOMAINS,
) -> FastAPI:
    """Build the app from ``domains`` (``bca.domains.DOMAINS``: their routes, exception
    handlers and console views; their slots are filled here); tests may pass ready-made
    ``backends`` to share them with fixtures, and a list of domains of their own."""
    assemble(domains)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = backends is None
        app.state.backends = backends or create_backends(settings, domains=domains)
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
    webs = {domain.name: domain.web() for domain in domains}
    install_error_handlers(app)
    for web in webs.values():
        for error, handler in web.exception_handlers.items():
            app.add_exception_handler(error, handler)
    # Innermost: long-polls skip the framework's routing, not the middleware around it.
    app.add_middleware(LongPollEndpoint)
    # Request ids, metrics and the error boundary see the outage's 503.
    app.add_middleware(BackendFaults)
    # Outermost last: the request id is set before anything answers, errors are caught inside
    # it, and input is checked before any route (or the error handlers) sees it.
    app.add_middleware(
        InputBoundary,
        max_body_bytes=settings.max_json_bytes,
        max_multipart_bytes=settings.max_upload_bytes + MULTIPART_OVERHEAD,
    )
    app.add_middleware(ErrorBoundary)
    app.add_middleware(ObservabilityMiddleware)
    app.add_middleware(NoContentHeaders)
    # Monitors (and curl -I) probe with HEAD.
    app.add_middleware(HeadAsGet, paths=HEAD_PATHS)
    app.add_middleware(realtime_routes.RealtimeEndpoint)
    if settings.trusted_proxies.strip():
        # Outermost: everything inside sees the client's address, not the proxy's. Only these
        # peers' X-Forwarded-For is believed; the rightmost address not theirs is the client.
        app.add_middleware(
            ProxyHeadersMiddleware,
            trusted_hosts=[str(network) for network in settings.trusted_proxy_networks],
        )
    # The very outermost: a request that repeats Content-Type, Authorization ... is refused
    # before any layer (the proxy headers' included) reads one copy and another layer the other.
    app.add_middleware(SingleHeaders)
    # Routes are matched one after another, a few microseconds each: the busiest come first.
    for domain in routing_order(domains):
        for router in webs[domain.name].routers:
            app.include_router(router)
    app.include_router(_operations_router(settings))
    # Every route reaches the database and cache through get_backends: those may answer 503.
    install_problem_documents(app, backend_dependencies={get_backends})
    mount_console(
        app, settings, views=[view for web in webs.values() for view in web.console_views]
    )
    install_home(app)
    install_webapp(app, settings)
    return app


def _may_read_metrics(request: Request, settings: Settings) -> bool:
    """An allowed address (loopback by default), or the bearer token when one is set."""
    if settings.metrics_token:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), settings.metrics_token.encode()
        ):
            return True
    if request.client is None:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(address in network for network in settings.metrics_networks)


def _operations_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(backends: BackendsDep) -> JSONResponse:
        """Each backend ``ok`` or ``down`` (503), with a short reason for each one down; card
        scans ``degraded`` (still 200) when tasks run here and this machine cannot read cards."""
        report = await readiness_report(backends)
        checks, reasons = dict(report.checks), dict(report.reasons)
        if not (backends.settings.broker_url or backends.settings.aws_task_sqs_url):
            # With a broker, scans run on the workers, which check for themselves at start.
            checks["scans"] = "degraded" if ocr_problem() else "ok"
            if checks["scans"] == "degraded":
                reasons["scans"] = "ocr_unavailable"
        body = {"checks": checks} | ({"reasons": reasons} if reasons else {})
        if "down" not in checks.values():
            status = "ok" if set(checks.values()) == {"ok"} else "degraded"
            return JSONResponse({"status": status} | body)
        return problem_response(
            status=503,
            code="unavailable",
            detail="A backend service is not available.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            extra=body,
        )

    @router.get(
        "/metrics",
        response_class=Response,
        responses={
            200: {"description": "Prometheus text format", "content": {"text/plain": {}}},
            404: {"description": "not for this client"},
        },
    )
    async def metrics(request: Request) -> Response:
        """Prometheus metrics, for allowed addresses or the bearer token only: they tell who
        does what how often, and nobody else should learn that (404, as if there were none)."""
        if not _may_read_metrics(request, settings):
            raise NotFound()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_app_from_environment() -> FastAPI:
    """Factory for uvicorn (``--workers`` needs an import string)."""
    from bca.settings import load_settings

    settings = load_settings()
    configure_logging(level=settings.log_level, json_format=settings.json_logs)
    return create_app(settings)
