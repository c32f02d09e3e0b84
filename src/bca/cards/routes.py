from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Response, status
from fastapi.responses import HTMLResponse

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep, SettingsDep
from bca.cards import service
from bca.cards.errors import CardNotFound
from bca.cards.models import Card, Subscription
from bca.cards.page import (
    PAGE_HEADERS,
    QR_MEDIA_TYPES,
    QrFormat,
    qr_code,
    render_card_page,
    render_missing_page,
)
from bca.cards.schemas import (
    CardCreate,
    CardRead,
    CardUpdate,
    ShareLinkRead,
    SubscriberRead,
    SubscriptionRead,
)
from bca.cards.vcard import to_vcard
from bca.core.http import IfMatchDep, PageDep, problems, tagged, vcard_download
from bca.core.pagination import Page, time_key
from bca.files.http import IMAGE_RESPONSES, REPLACE_IMAGE_ROUTE, UploadDep, file_response
from bca.settings import Settings

router = APIRouter(prefix="/v1", tags=["cards"])
public_router = APIRouter(tags=["public card page"])

NO_CONTENT: dict[str, Any] = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}
ShareToken = Annotated[str, Query(min_length=1, max_length=64)]


def _read(card: Card, settings: Settings) -> CardRead:
    return CardRead.from_row(card, public_url=settings.public_url)


def _subscription_key(row: tuple[Subscription, Card]) -> list[str]:
    return [row[0].subscribed_at.isoformat(), str(row[0].card_id)]


def _subscription_read(
    subscription: Subscription, card: Card, *, settings: Settings
) -> SubscriptionRead:
    return SubscriptionRead(
        card=CardRead.from_row(card, public_url=settings.public_url),
        subscribed_at=subscription.subscribed_at,
    )


def _subscriber_key(row: Subscription) -> list[str]:
    return [row.subscribed_at.isoformat(), str(row.profile_id)]


# --- cards ----------------------------------------------------------------------------------


@router.post(
    "/profiles/{me}/cards", status_code=201, response_model=CardRead, responses=problems(404, 409)
)
async def create_card(
    me: uuid.UUID,
    data: CardCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> CardRead:
    """Create a card on my profile ``me``; see the ``CardData`` schema for ``data``'s keys."""
    card = await service.create_card(session, user=user, my_profile_id=me, data=data)
    return tagged(response, card, _read(card, settings))


@router.get("/profiles/{profile_id}/cards", response_model=Page[CardRead], responses=problems(404))
async def list_cards(
    profile_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
) -> Page[CardRead]:
    cards = await service.list_cards(
        session, user=user, profile_id=profile_id, after=page.after, limit=page.fetch_limit
    )
    return page.cut(
        cards,
        key=time_key,
        item=lambda card: CardRead.from_row(card, public_url=settings.public_url),
    )


@router.get("/cards/{card_id}", response_model=CardRead, responses=problems(404))
async def get_card(
    card_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> CardRead:
    card = await service.get_card(session, user=user, card_id=card_id)
    return tagged(response, card, _read(card, settings))


@router.patch("/cards/{card_id}", response_model=CardRead, responses=problems(403, 404, 412))
async def update_card(
    card_id: uuid.UUID,
    data: CardUpdate,
    if_match: IfMatchDep,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> CardRead:
    """Change a card; every change bumps ``version``. Turning it private removes it from the
    wallets that did not get it through a share link."""
    card = await service.update_card(
        session, user=user, card_id=card_id, data=data, if_match=if_match
    )
    return tagged(response, card, _read(card, settings))


@router.delete("/cards/{card_id}", **NO_CONTENT, responses=problems(403, 404, 412))
async def delete_card(
    card_id: uuid.UUID, if_match: IfMatchDep, user: CurrentUser, session: SessionDep
) -> None:
    await service.delete_card(session, user=user, card_id=card_id, if_match=if_match)


@router.put("/cards/{card_id}/preview", response_model=CardRead, **REPLACE_IMAGE_ROUTE)
async def set_card_preview(
    card_id: uuid.UUID,
    source: UploadDep,
    if_match: IfMatchDep,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
    response: Response,
) -> CardRead:
    """Upload the card's preview image (PNG, JPEG, GIF or WebP); shown on the card page and
    in link previews of its share link."""
    card = await service.set_card_preview(
        session, backends, user=user, card_id=card_id, source=source, if_match=if_match
    )
    return tagged(response, card, _read(card, backends.settings))


@router.get(
    "/cards/{card_id}/vcard",
    response_class=Response,
    responses={
        200: {"content": {"text/vcard": {}}, "description": "vCard 4.0 (RFC 6350)"},
        **problems(404),
    },
)
async def get_vcard(card_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    card, contact = await service.card_contact(session, user=user, card_id=card_id)
    return vcard_download(
        to_vcard(contact, card_id=card.id, updated_at=card.updated_at), contact.formatted_name
    )


@router.get(
    "/cards/{card_id}/qr",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}, **problems(404)},
)
async def get_qr(
    card_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    fmt: Annotated[QrFormat, Query(alias="format")] = "png",
) -> Response:
    """A QR code of the card's live share link. For the owner the link is created first when
    there is none (as ``POST share``); others get 404 while the card has no link."""
    link = await service.qr_link(session, user=user, card_id=card_id)
    image = qr_code(service.share_url(settings.public_url, link.token), fmt)
    return Response(image, media_type=QR_MEDIA_TYPES[fmt], headers={"Cache-Control": "no-store"})


@router.post(
    "/cards/{card_id}/share",
    status_code=201,
    response_model=ShareLinkRead,
    responses=problems(403, 404),
)
async def share_card(
    card_id: uuid.UUID, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ShareLinkRead:
    """The card's share link, created if it has none (one live link per card)."""
    link = await service.share_card(session, user=user, card_id=card_id)
    return ShareLinkRead(token=link.token, url=service.share_url(settings.public_url, link.token))


@router.get("/shares/{token}", response_model=CardRead, responses=problems(404))
async def get_shared_card(
    token: Annotated[str, Path(min_length=1, max_length=64)],
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> CardRead:
    """The card of a live share link (``/c/{token}``), so that an app that scanned or opened
    the link can show the card and keep it: ``PUT /v1/profiles/{me}/subscriptions/{id}``
    with ``share_token``. 404 when the link is revoked or unknown, or its card is hidden
    from the caller (a block)."""
    card = await service.card_of_share(session, user=user, token=token)
    return tagged(response, card, _read(card, settings))


@router.delete("/cards/{card_id}/share", **NO_CONTENT, responses=problems(403, 404))
async def unshare_card(card_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    await service.unshare_card(session, user=user, card_id=card_id)


# --- wallet ---------------------------------------------------------------------------------


@router.put(
    "/profiles/{me}/subscriptions/{card_id}",
    response_model=SubscriptionRead,
    responses={
        201: {"model": SubscriptionRead, "description": "Added to the wallet"},
        **problems(404),
    },
)
async def subscribe(
    me: uuid.UUID,
    card_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    share_token: ShareToken | None = None,
) -> SubscriptionRead:
    """Keep a card in my profile's wallet: 201 when added, 200 when it was there already.

    A private card needs ``share_token`` (the token of its share link); an entry made with
    it stays if the card later turns private.
    """
    subscription, card, created = await service.subscribe(
        session, user=user, my_profile_id=me, card_id=card_id, share_token=share_token
    )
    response.status_code = 201 if created else 200
    return _subscription_read(subscription, card, settings=settings)


@router.delete("/profiles/{me}/subscriptions/{card_id}", **NO_CONTENT, responses=problems(404))
async def unsubscribe(
    me: uuid.UUID, card_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> None:
    await service.unsubscribe(session, user=user, my_profile_id=me, card_id=card_id)


@router.get(
    "/profiles/{me}/subscriptions", response_model=Page[SubscriptionRead], responses=problems(404)
)
async def list_subscriptions(
    me: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
) -> Page[SubscriptionRead]:
    """My profile's wallet, each card as it is now (its current ``version``)."""
    rows = await service.list_subscriptions(
        session, user=user, my_profile_id=me, after=page.after, limit=page.fetch_limit
    )
    return page.cut(
        rows, key=_subscription_key, item=lambda row: _subscription_read(*row, settings=settings)
    )


@router.get(
    "/cards/{card_id}/subscribers",
    response_model=Page[SubscriberRead],
    responses=problems(403, 404),
)
async def list_subscribers(
    card_id: uuid.UUID, user: CurrentUser, session: SessionDep, page: PageDep
) -> Page[SubscriberRead]:
    """Which profiles hold my card (owner only)."""
    rows = await service.list_subscribers(
        session, user=user, card_id=card_id, after=page.after, limit=page.fetch_limit
    )
    return page.cut(
        rows,
        key=_subscriber_key,
        item=lambda row: SubscriberRead(profile_id=row.profile_id, subscribed_at=row.subscribed_at),
    )


# --- the public card page -------------------------------------------------------------------

_PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such live link", "content": {"text/html": {}}}
}


@public_router.get(
    "/c/{token}.vcf",
    response_class=Response,
    responses={200: {"content": {"text/vcard": {}}}, 404: {"description": "No such live link"}},
)
async def public_vcard(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """The shared card as vCard 4.0 (public: the link is the permission)."""
    shared = await service.shared_card(session, token=token)
    text = to_vcard(
        shared.contact,
        card_id=shared.card.id,
        updated_at=shared.card.updated_at,
        source_url=f"{service.share_url(settings.public_url, token)}.vcf",
    )
    return vcard_download(text, shared.contact.formatted_name)


@public_router.get("/c/{token}/preview", response_class=Response, responses=IMAGE_RESPONSES)
async def public_preview(token: str, session: SessionDep, backends: BackendsDep) -> Response:
    """The shared card's preview image, for the page and for link-preview crawlers."""
    return file_response(await service.shared_preview(session, backends, token=token))


@public_router.get("/c/{token}", response_class=HTMLResponse, responses=_PAGE_RESPONSES)
async def public_page(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The shared card as a mobile-friendly page with a "save contact" link (public)."""
    try:
        shared = await service.shared_card(session, token=token)
    except CardNotFound:
        return HTMLResponse(render_missing_page(), status_code=404, headers=PAGE_HEADERS)
    page_url = service.share_url(settings.public_url, token)
    has_preview = shared.card.preview_file_id is not None
    html = render_card_page(
        contact=shared.contact,
        card=shared.card,
        page_url=page_url,
        vcard_path=f"/c/{quote(token, safe='')}.vcf",
        # The app's own path for this link: signed in, it adds the card to the wallet.
        app_path=f"/app/c/{quote(token, safe='')}",
        preview_path=f"/c/{quote(token, safe='')}/preview" if has_preview else None,
        preview_url=f"{page_url}/preview" if has_preview else None,
    )
    return HTMLResponse(html, headers=PAGE_HEADERS)
