"""The routes of verified emails on cards: asking for a code, confirming it, and the page
behind the mailed link (``/verify-card-email``: a button on GET, the work on POST, so that
mail scanners fetching the link use nothing up)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep, SettingsDep
from bca.cards import verification
from bca.cards.errors import CardNotFound, InvalidVerificationCode
from bca.cards.schemas import CardRead, VerificationConfirm, VerificationRequest, VerificationSent
from bca.core.boundary import STORABLE
from bca.core.html import is_cross_site_form, page_headers, templates
from bca.core.http import problems, tagged

router = APIRouter(prefix="/v1", tags=["cards"])
page_router = APIRouter(tags=["pages for mailed links"])

PAGE_HEADERS = page_headers(form_action="'self'")
_PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": {"text/html": {}}}
    for status, description in (
        (400, "The link is not valid (used, expired, unknown)"),
        (403, "The form was posted from another site"),
    )
}


@router.post(
    "/cards/{card_id}/verifications",
    status_code=202,
    response_model=VerificationSent,
    responses=problems(403, 409, 429),
)
async def request_verification(
    card_id: uuid.UUID,
    data: VerificationRequest,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
) -> VerificationSent:
    """Mail a six-digit code and a link to one of my card's addresses (``data.emails``);
    either proves the address for 365 days. Both work for 15 minutes, and a new request
    replaces them. 409 ``email_not_on_card``; 429 when too many codes were sent for the card,
    to the address or by me."""
    sent = await verification.request_verification(
        session, backends, user=user, card_id=card_id, email=data.email
    )
    return VerificationSent(email=sent.email, expires_at=sent.expires_at)


@router.post(
    "/cards/{card_id}/verifications/confirm",
    response_model=CardRead,
    responses=problems(400, 403, 409),
)
async def confirm_verification(
    card_id: uuid.UUID,
    data: VerificationConfirm,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
    response: Response,
) -> CardRead:
    """Confirm an address with its mailed code: the card (its ``version`` bumped) now lists
    it in ``verified``. 400 ``invalid_code`` for a wrong, expired or unknown code (each wrong
    one uses one of 5 attempts); 409 ``attempts_exhausted`` after 5 wrong ones."""
    card = await verification.confirm_code(
        session, backends, user=user, card_id=card_id, email=data.email, code=data.code
    )
    return tagged(response, card, CardRead.from_row(card, public_url=backends.settings.public_url))


def _page(state: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = templates().get_template("verify_card_email.html").render(state=state, **context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


@page_router.get("/verify-card-email", response_class=HTMLResponse, responses=_PAGE_RESPONSES)
async def verify_card_email_page(
    session: SessionDep, token: Annotated[str | None, Query(max_length=200)] = None
) -> HTMLResponse:
    """The link mailed to a card's address: a button that confirms it (nothing on GET)."""
    if token and await verification.verification_link_is_valid(session, token=token):
        return _page("ready", token=token)
    return _page("invalid", status_code=400)


@page_router.post("/verify-card-email", response_class=HTMLResponse, responses=_PAGE_RESPONSES)
async def verify_card_email_form(
    token: Annotated[str, Form(min_length=1, max_length=200), STORABLE],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    if is_cross_site_form(request, public_url=settings.public_url):
        return _page("forged", status_code=403)
    try:
        card = await verification.confirm_link(session, token=token)
    except (InvalidVerificationCode, CardNotFound):
        return _page("invalid", status_code=400)
    return _page("done", card_name=card.name)
