"""Contacts in offline sync: the ``contact`` entity, seen by the owner of its profile only."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bca.accounts.models import User
from bca.contacts.models import Contact
from bca.contacts.schemas import ContactRead
from bca.profiles.models import Profile
from bca.profiles.visibility import Viewer
from bca.sync.changelog import record_change
from bca.sync.entities import AnySelect, Data, EntitySpec, Row, columns_of


def _contacts(viewers: Any, ids: Any) -> AnySelect:
    """A live contact of one of the viewer's live profiles."""
    viewer = aliased(User, name="viewer")
    contact = aliased(Contact, name="seen_contact")
    who = Viewer(viewer.id, viewer)
    scope: ColumnElement[bool] = true() if ids is None else contact.id.in_(ids)
    return (
        select(viewer.id.label("viewer"), contact)
        .select_from(viewer)
        .join(contact, scope)
        .where(
            viewer.id.in_(viewers),
            contact.deleted_at.is_(None),
            contact.profile_id.in_(who.profiles()),
        )
    )


def _render(row: Row, public_url: str) -> Data:
    return ContactRead.from_row(row["seen_contact"], public_url=public_url).model_dump(mode="json")


CONTACT = EntitySpec(
    name="contact",
    table="contacts",
    columns=columns_of(ContactRead),
    key="id",
    statement=_contacts,
    key_of=lambda row: str(row["seen_contact"].id),
    render=_render,
    indexes=("profile_id",),
)


async def record_contact_change(session: AsyncSession, contact_id: uuid.UUID) -> None:
    """A contact was created, edited or removed: its profile's owner hears of it."""
    owner = await session.scalar(
        select(Profile.user_id)
        .join(Contact, Contact.profile_id == Profile.id)
        .where(Contact.id == contact_id)
    )
    if owner is None:
        return
    await record_change(session, user_ids=[owner], entity="contact", entity_id=str(contact_id))
