from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from bca.accounts.dependencies import CurrentUser
from bca.backends.dependencies import BackendsDep, SessionDep, SettingsDep
from bca.contacts import service
from bca.contacts.models import Contact
from bca.contacts.schemas import ContactCreate, ContactRead, ContactUpdate
from bca.contacts.vcard import contact_vcard
from bca.core.http import IfMatchDep, PageDep, problems, tagged, vcard_download
from bca.core.pagination import Page, time_key
from bca.files.http import REPLACE_IMAGE_ROUTE, UploadDep
from bca.settings import Settings

router = APIRouter(prefix="/v1", tags=["contacts"])

NO_CONTENT: dict[str, Any] = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}
SearchQuery = Annotated[str | None, Query(max_length=100, description="Search text")]


def _read(contact: Contact, settings: Settings) -> ContactRead:
    return ContactRead.from_row(contact, public_url=settings.public_url)


@router.post(
    "/profiles/{me}/contacts",
    status_code=201,
    response_model=ContactRead,
    responses=problems(404, 409),
)
async def create_contact(
    me: uuid.UUID,
    data: ContactCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> ContactRead:
    """Keep a contact (someone's paper card) in my profile ``me``'s wallet; private to me."""
    contact = await service.create_contact(session, user=user, my_profile_id=me, data=data)
    return tagged(response, contact, _read(contact, settings))


@router.get("/profiles/{me}/contacts", response_model=Page[ContactRead], responses=problems(404))
async def list_contacts(
    me: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    q: SearchQuery = None,
) -> Page[ContactRead]:
    """My profile's contacts, oldest first; ``q`` searches name, organisation, title, note,
    emails and phones."""
    rows = await service.list_contacts(
        session,
        user=user,
        my_profile_id=me,
        query=q.strip() if q else None,
        after=page.after,
        limit=page.fetch_limit,
    )
    return page.cut(
        rows,
        key=time_key,
        item=lambda row: ContactRead.from_row(row, public_url=settings.public_url),
    )


@router.get(
    "/profiles/{me}/contacts/{contact_id}", response_model=ContactRead, responses=problems(404)
)
async def get_contact(
    me: uuid.UUID,
    contact_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> ContactRead:
    contact = await service.get_contact(session, user=user, my_profile_id=me, contact_id=contact_id)
    return tagged(response, contact, _read(contact, settings))


@router.patch(
    "/profiles/{me}/contacts/{contact_id}",
    response_model=ContactRead,
    responses=problems(404, 412),
)
async def update_contact(
    me: uuid.UUID,
    contact_id: uuid.UUID,
    data: ContactUpdate,
    if_match: IfMatchDep,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> ContactRead:
    """Change a contact; every change bumps ``version``."""
    contact = await service.update_contact(
        session, user=user, my_profile_id=me, contact_id=contact_id, data=data, if_match=if_match
    )
    return tagged(response, contact, _read(contact, settings))


@router.delete("/profiles/{me}/contacts/{contact_id}", **NO_CONTENT, responses=problems(404, 412))
async def delete_contact(
    me: uuid.UUID,
    contact_id: uuid.UUID,
    if_match: IfMatchDep,
    user: CurrentUser,
    session: SessionDep,
) -> None:
    await service.delete_contact(
        session, user=user, my_profile_id=me, contact_id=contact_id, if_match=if_match
    )


@router.put(
    "/profiles/{me}/contacts/{contact_id}/image", response_model=ContactRead, **REPLACE_IMAGE_ROUTE
)
async def set_contact_image(
    me: uuid.UUID,
    contact_id: uuid.UUID,
    source: UploadDep,
    if_match: IfMatchDep,
    user: CurrentUser,
    session: SessionDep,
    backends: BackendsDep,
    response: Response,
) -> ContactRead:
    """Upload the contact's image (PNG, JPEG, GIF or WebP) in place of the one it has (a
    scanned card's photo, say); like the contact, only its owner sees it."""
    contact = await service.set_contact_image(
        session,
        backends,
        user=user,
        my_profile_id=me,
        contact_id=contact_id,
        source=source,
        if_match=if_match,
    )
    return tagged(response, contact, _read(contact, backends.settings))


@router.get(
    "/profiles/{me}/contacts/{contact_id}/vcard",
    response_class=Response,
    responses={
        200: {"content": {"text/vcard": {}}, "description": "vCard 4.0 (RFC 6350)"},
        **problems(404),
    },
)
async def get_vcard(
    me: uuid.UUID, contact_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> Response:
    contact = await service.get_contact(session, user=user, my_profile_id=me, contact_id=contact_id)
    return vcard_download(contact_vcard(contact), contact.name)
