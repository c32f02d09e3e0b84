"""The pages behind the links in verification and reset mails (server-rendered, no script).

Opening a link only shows a button or a form: mail scanners and link previews fetch links,
so nothing is used up by a GET. The POST does the work through the same service functions as
the API and shows the outcome. Every refusal the services raise comes before their first
write, so a page that shows one (a rejected password, an expired link) commits nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts import email_tokens, passwords, service
from bca.accounts.errors import InvalidToken, WeakPassword
from bca.accounts.routes import client_address
from bca.accounts.schemas import PasswordResetConfirm, PasswordResetRequest
from bca.backends import Backends
from bca.backends.dependencies import BackendsDep, SessionDep
from bca.core.boundary import STORABLE
from bca.core.errors import RateLimited
from bca.core.html import is_cross_site_form, page_headers, templates

router = APIRouter(tags=["pages for mailed links"])

PAGE_HEADERS = page_headers(form_action="'self'")
TEMPLATES = {"verify": "verify_email.html", "reset": "reset_password.html"}
MAILED_TOKEN = Annotated[str, Form(min_length=1, max_length=200), STORABLE]
LINK_TOKEN = Annotated[str | None, Query(max_length=200)]
HTML_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": {"text/html": {}}}
    for status, description in (
        (400, "The link is not valid (used, expired, unknown)"),
        (403, "The form was posted from another site"),
        (422, "The form needs correcting"),
        (429, "Too many requests"),
    )
}


def _page(template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = templates().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def _forged(request: Request, backends: Backends) -> HTMLResponse | None:
    """The answer to a form posted from another site; None for a form posted from here."""
    if not is_cross_site_form(request, public_url=backends.settings.public_url):
        return None
    return _page(
        "notice.html",
        status_code=403,
        title="This form came from another site",
        message="Nothing was changed. Open the link from your mail again.",
    )


@dataclass(frozen=True)
class _Posted:
    """A form posted to one of these pages, and whether another site posted it."""

    session: AsyncSession
    backends: Backends
    client_address: str
    forged: HTMLResponse | None


def _posted(session: SessionDep, backends: BackendsDep, request: Request) -> _Posted:
    return _Posted(session, backends, client_address(request), _forged(request, backends))


PostedForm = Annotated[_Posted, Depends(_posted)]


async def _link_page(session: AsyncSession, token: str | None, *, purpose: str) -> HTMLResponse:
    """What opening a mailed link shows: its form while the link works, else how to get a
    new one. Opening uses nothing up."""
    template = TEMPLATES[purpose]
    if token and await email_tokens.email_token_is_valid(session, token=token, purpose=purpose):
        return _page(template, state="ready", token=token)
    return _page(template, state="invalid", status_code=400)


async def _new_link_requested(work: Awaitable[None], *, purpose: str) -> HTMLResponse:
    """Asking for a new link answers alike whether or not the account exists."""
    try:
        await work
    except RateLimited as error:
        return _too_many(error)
    return _page(TEMPLATES[purpose], state="requested")


def _too_many(error: RateLimited) -> HTMLResponse:
    minutes = max(1, round(int(error.headers.get("Retry-After", "60")) / 60))
    response = _page(
        "notice.html",
        status_code=429,
        title="Too many requests",
        message=f"Please wait about {minutes} minute{'s' if minutes != 1 else ''} and try again.",
    )
    response.headers.update(error.headers)
    return response


# --- email verification ---------------------------------------------------------------------


@router.get("/verify-email", response_class=HTMLResponse, responses=HTML_RESPONSES)
async def verify_email_page(session: SessionDep, token: LINK_TOKEN = None) -> HTMLResponse:
    """The verification link: a button that confirms the address (nothing happens on GET)."""
    return await _link_page(session, token, purpose="verify")


@router.post("/verify-email", response_class=HTMLResponse, responses=HTML_RESPONSES)
async def verify_email_form(token: MAILED_TOKEN, form: PostedForm) -> HTMLResponse:
    if form.forged:
        return form.forged
    try:
        await service.verify_email(form.session, token=token)
    except InvalidToken:
        return _page("verify_email.html", state="invalid", status_code=400)
    return _page("verify_email.html", state="done")


@router.post("/verify-email/resend", response_class=HTMLResponse, responses=HTML_RESPONSES)
async def resend_verification_form(
    login: Annotated[str, Form(min_length=1, max_length=320), STORABLE],
    form: PostedForm,
) -> HTMLResponse:
    """Asks for a new verification link (the form of an expired link's page)."""
    if form.forged:
        return form.forged
    return await _new_link_requested(
        service.resend_verification_public(
            form.session, form.backends, login=login, client_address=form.client_address
        ),
        purpose="verify",
    )


# --- password reset -------------------------------------------------------------------------


@router.get("/reset-password", response_class=HTMLResponse, responses=HTML_RESPONSES)
async def reset_password_page(session: SessionDep, token: LINK_TOKEN = None) -> HTMLResponse:
    """The reset link: a form for the new password, or a way to ask for a fresh link."""
    return await _link_page(session, token, purpose="reset")


@router.post("/reset-password", response_class=HTMLResponse, responses=HTML_RESPONSES)
async def reset_password_form(
    token: MAILED_TOKEN,
    new_password: Annotated[str, Form(max_length=1024), STORABLE],
    confirm_password: Annotated[str, Form(max_length=1024), STORABLE],
    form: PostedForm,
) -> HTMLResponse:
    if form.forged:
        return form.forged

    def ask_again(error: str) -> HTMLResponse:
        return _page(
            "reset_password.html", state="ready", token=token, error=error, status_code=422
        )

    if new_password != confirm_password:
        return ask_again("The two passwords differ.")
    try:
        data = PasswordResetConfirm(token=token, new_password=new_password)
    except ValidationError:
        return ask_again("The password must be 8 to 128 characters long.")
    try:
        await passwords.confirm_password_reset(form.session, form.backends, data=data)
    except InvalidToken:
        return _page("reset_password.html", state="invalid", status_code=400)
    except WeakPassword as error:
        return ask_again(error.message)
    return _page("reset_password.html", state="done")


@router.post("/reset-password/request", response_class=HTMLResponse, responses=HTML_RESPONSES)
async def request_reset_form(
    email: Annotated[str, Form(min_length=1, max_length=320), STORABLE],
    form: PostedForm,
) -> HTMLResponse:
    """Asks for a new reset link (the form of an expired link's page)."""
    if form.forged:
        return form.forged
    try:
        data = PasswordResetRequest(email=email)
    except ValidationError:
        return _page(
            "reset_password.html",
            state="invalid",
            error="That is not an email address.",
            status_code=422,
        )
    return await _new_link_requested(
        passwords.request_password_reset(
            form.session, form.backends, email=data.email, client_address=form.client_address
        ),
        purpose="reset",
    )
