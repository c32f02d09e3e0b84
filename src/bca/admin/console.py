"""The admin web console at ``/admin``, built on sqladmin and mounted in the API's app.

sqladmin brings the layout (Tabler, served from its own package: no CDN), the menu and the
paginated, searchable list and detail pages (``views.py``). What is ours:

- sign-in through the API's credential check and lockout (``signin.py``), a session cookie
  (``HttpOnly``, ``SameSite=Strict``, ``Secure`` outside embedded mode), sign-out by POST;
- a per-session CSRF token checked with ``hmac.compare_digest`` on every POST before anything
  runs (the sign-in form's token is bound to a nonce cookie instead);
- actions as plain HTML forms posted to ``/admin/act/{type}/{id}/{action}``; destructive ones
  first show a confirmation page. Each calls ``bca.admin.service.perform`` in one transaction;
- non-admins (a signed-in user's bearer token, a console session whose admin was demoted) get
  the admin API's 404; anonymous GETs are redirected to the sign-in page, other requests 404;
- headers: a strict Content-Security-Policy (scripts, styles, fonts and images from the
  console's own origin only; no inline script), ``frame-ancestors 'none'``, ``no-store``.

sqladmin's own writing routes (create, edit, delete, import, export, file download) are not
mounted at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqladmin import Admin
from sqladmin.authentication import AuthenticationBackend, login_required
from sqladmin.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Scope

from bca.accounts.dependencies import principal_from_token
from bca.accounts.models import User
from bca.accounts.routes import client_address
from bca.admin import actions, service, signin
from bca.admin.views import IDENTITY_OF_TARGET, MODEL_OF_TARGET
from bca.backends import Backends
from bca.core.boundary import has_unstorable
from bca.core.errors import AppError, NotFound, RateLimited
from bca.core.http import HeaderRewrite, Headers
from bca.core.problems import problem_response
from bca.core.security import new_opaque_token
from bca.settings import Mode, Settings

BASE_URL = "/admin"
TEMPLATES = Path(__file__).parent / "templates"
SESSION_COOKIE = "bca_admin"
SIGNIN_COOKIE = "bca_admin_signin"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD"})
KEPT_LIBRARY_ROUTES = frozenset({"statics", "index", "list", "details", "login", "logout"})
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


def not_found() -> Response:
    """Exactly what ``/v1/admin/...`` answers to someone who is not an admin."""
    return problem_response(status=404, code="not_found", detail=NotFound.detail or "")


class SecurityHeaders(HeaderRewrite):
    """Adds the console's headers to every response under ``/admin``."""

    def rewrite(self, scope: Scope, status: int, headers: Headers) -> Headers:
        headers += [
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        if "/statics/" not in scope["path"]:
            headers.append((b"cache-control", b"no-store"))
        return headers


class _AppSessionMaker:
    """sqladmin wants a session factory when it is built; the database exists only once the
    app's lifespan has made the backends, so this one looks it up at each call."""

    class_ = AsyncSession

    def __init__(self, backends: Callable[[], Backends]) -> None:
        self._backends = backends

    def configure(self, **_options: Any) -> None:
        """Our sessionmaker is configured already (no autoflush change needed for reads)."""

    def __call__(self, **options: Any) -> AsyncSession:
        maker: async_sessionmaker[AsyncSession] = self._backends().database.sessionmaker
        return maker(**options)


class ConsoleAuthentication(AuthenticationBackend):
    """Runs before every console page and action (sqladmin's ``login_required``)."""

    def __init__(self, backends: Callable[[], Backends]) -> None:
        # No Starlette SessionMiddleware: the session lives in our cache and database.
        self.middlewares = []
        self._backends = backends
        self.templates: Jinja2Templates | None = None

    async def authenticate(self, request: Request) -> Response | bool:
        backends = self._backends()
        token = request.cookies.get(SESSION_COOKIE)
        async with backends.database.transaction() as session:
            console = await signin.load(session, backends, token) if token else None
            if console is None:
                if await _bearer_of_non_admin(session, backends, request):
                    return not_found()
                # sqladmin redirects a False to the sign-in page; only GETs should go there.
                return False if request.method in SAFE_METHODS else not_found()
        if console.user.role != "admin":
            return not_found()
        request.state.console = console
        if request.method not in SAFE_METHODS:
            form = await request.form()
            if not signin.tokens_match(_text(form, CSRF_FIELD), console.csrf_token):
                assert self.templates is not None
                return await self.templates.TemplateResponse(
                    request, "console/refused.html", {}, status_code=403
                )
        return True


async def _bearer_of_non_admin(session: AsyncSession, backends: Backends, request: Request) -> bool:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return False
    principal = await principal_from_token(session, backends, credentials)
    return principal is not None and principal.user.role != "admin"


async def _problem(_request: Request, error: Exception) -> Response:
    """Errors of our own (an unknown action or target: 404) answer as the API would."""
    assert isinstance(error, AppError)
    return problem_response(
        status=error.status, code=error.code, detail=error.message, headers=error.headers
    )


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


UNSTORABLE_FORM = (
    "The form holds text that cannot be stored (a NUL character or an unpaired surrogate)."
)


def _storable(form: FormData) -> bool:
    """The API's text boundary for the console's forms: the input middleware refuses NUL in
    an urlencoded body itself, but a multipart form (which browsers may send) passes it by,
    since file parts may hold any byte. The console has no file fields: every part counts."""
    return not any(
        has_unstorable(name) or (isinstance(value, str) and has_unstorable(value))
        for name, value in form.multi_items()
    )


class Console(Admin):
    def __init__(self, app: FastAPI, settings: Settings, views: Sequence[type[Any]]) -> None:
        def backends() -> Backends:
            found: Backends = app.state.backends
            return found

        self._get_backends = backends
        self._secure_cookies = settings.mode is not Mode.embedded
        authentication = ConsoleAuthentication(backends)
        super().__init__(
            app,
            session_maker=_AppSessionMaker(backends),  # type: ignore[arg-type]  # duck-typed
            base_url=BASE_URL,
            title="B.Ca console",
            templates_dir=str(TEMPLATES),
            authentication_backend=authentication,
        )
        authentication.templates = self.templates
        for view in views:
            self.add_view(view)
        kept = [
            route
            for route in self.admin.router.routes
            if isinstance(route, Route | Mount) and route.name in KEPT_LIBRARY_ROUTES
        ]
        self.admin.router.routes = [
            *kept,
            Route("/signout", self.sign_out, methods=["POST"], name="signout"),
            Route(
                "/act/{target_type}/{target_id}/{action}",
                self.act,
                methods=["GET", "POST"],
                name="act",
            ),
        ]
        self.admin.add_middleware(SecurityHeaders)
        self.admin.add_exception_handler(AppError, _problem)

    # --- pages --------------------------------------------------------------------------

    @login_required
    async def index(self, request: Request) -> Response:
        board = await service.dashboard(self._get_backends())
        return await self.templates.TemplateResponse(
            request, "console/dashboard.html", {"dashboard": board}
        )

    async def login(self, request: Request) -> Response:
        nonce = request.cookies.get(SIGNIN_COOKIE)
        if request.method in SAFE_METHODS or nonce is None:
            return await self._signin_page(request, error=None, status_code=200)
        form = await request.form()
        if not _storable(form):
            return await self._signin_page(request, error=UNSTORABLE_FORM, status_code=422)
        expected = signin.signin_form_token(self._get_backends().settings.signing_key, nonce)
        if not signin.tokens_match(_text(form, CSRF_FIELD), expected):
            return await self._signin_page(
                request, error="The form expired; try again.", status_code=403
            )
        backends = self._get_backends()
        try:
            async with backends.database.transaction() as session:
                token, user = await signin.sign_in(
                    session,
                    backends,
                    login=_text(form, "login") or "",
                    password=_text(form, "password") or "",
                    address=client_address(request),
                )
                await service.record(
                    session,
                    service.Actor(user, client_address(request)),
                    action="console.signin",
                    target_type="user",
                    target_id=str(user.id),
                )
        except NotFound:
            return not_found()
        except RateLimited as error:
            message = "Too many failed sign-ins for this account; try again later."
            page = await self._signin_page(request, error=message, status_code=429)
            page.headers.update(error.headers)
            return page
        except AppError as error:
            return await self._signin_page(request, error=error.message, status_code=error.status)
        response = RedirectResponse(request.url_for("admin:index"), status_code=303)
        self._set_cookie(response, SESSION_COOKIE, token)
        response.delete_cookie(SIGNIN_COOKIE, path=BASE_URL)
        return response

    async def _signin_page(
        self, request: Request, *, error: str | None, status_code: int
    ) -> Response:
        # The same nonce for every sign-in form of this browser, so two tabs both work.
        nonce = request.cookies.get(SIGNIN_COOKIE) or new_opaque_token()
        response = await self.templates.TemplateResponse(
            request,
            "console/login.html",
            {
                "error": error,
                "csrf_token": signin.signin_form_token(
                    self._get_backends().settings.signing_key, nonce
                ),
            },
            status_code=status_code,
        )
        self._set_cookie(response, SIGNIN_COOKIE, nonce)
        return response

    def _set_cookie(self, response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name,
            value,
            max_age=int(signin.SESSION_TTL.total_seconds()),
            path=BASE_URL,
            httponly=True,
            samesite="strict",
            secure=self._secure_cookies,
        )

    @login_required
    async def logout(self, request: Request) -> Response:
        """A page with the sign-out button: signing out is a POST, like every change."""
        return await self.templates.TemplateResponse(request, "console/logout.html", {})

    @login_required
    async def sign_out(self, request: Request) -> Response:
        console: signin.ConsoleSession = request.state.console
        backends = self._get_backends()
        async with backends.database.transaction() as session:
            await signin.sign_out(
                session, backends, token=request.cookies[SESSION_COOKIE], console=console
            )
            await service.record(
                session,
                service.Actor(console.user, client_address(request)),
                action="console.signout",
                target_type="user",
                target_id=str(console.user.id),
            )
        response = RedirectResponse(request.url_for("admin:login"), status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=BASE_URL)
        return response

    @login_required
    async def act(self, request: Request) -> Response:
        """GET: the confirmation page of an action. POST: take it, then show its target."""
        console: signin.ConsoleSession = request.state.console
        target_type = request.path_params["target_type"]
        action = actions.find_action(target_type, request.path_params["action"])
        target_id = service.parse_target(request.path_params["target_id"])
        backends = self._get_backends()
        if request.method in SAFE_METHODS:
            async with backends.database.transaction() as session:
                target = await session.get(MODEL_OF_TARGET[target_type], target_id)
            if target is None:
                return not_found()
            return await self._confirm_page(request, action, target, error=None)
        form = await request.form()
        if not _storable(form):
            async with backends.database.transaction() as session:
                target = await session.get(MODEL_OF_TARGET[target_type], target_id)
            if target is None:
                return not_found()
            return await self._confirm_page(
                request, action, target, error=UNSTORABLE_FORM, status_code=422
            )
        try:
            async with backends.database.transaction() as session:
                actor = await session.get(User, console.user.id)
                assert actor is not None
                await service.perform(
                    session,
                    backends,
                    actor=service.Actor(actor, client_address(request)),
                    action=action,
                    target_id=target_id,
                    reason=_text(form, "reason"),
                )
        except AppError as error:
            async with backends.database.transaction() as session:
                target = await session.get(MODEL_OF_TARGET[target_type], target_id)
            if target is None:
                return not_found()
            return await self._confirm_page(
                request, action, target, error=error.message, status_code=error.status
            )
        details = request.url_for(
            "admin:details", identity=IDENTITY_OF_TARGET[target_type], pk=str(target_id)
        ).include_query_params(done=action.label)
        return RedirectResponse(details, status_code=303)

    async def _confirm_page(
        self,
        request: Request,
        action: actions.Action,
        target: Any,
        *,
        error: str | None,
        status_code: int = 200,
    ) -> Response:
        return await self.templates.TemplateResponse(
            request,
            "console/confirm.html",
            {
                "action": action,
                "target": target,
                "identity": IDENTITY_OF_TARGET[action.target_type],
                "error": error,
            },
            status_code=status_code,
        )


def mount_console(app: FastAPI, settings: Settings, *, views: Sequence[type[Any]]) -> Console:
    """Build the console with ``views`` (every domain's ``console_views``, in the order of the
    list of domains) and mount it at ``/admin`` of ``app``."""
    return Console(app, settings, views)
