"""The rules of contacts: paper cards' people kept in one of my profiles' wallets.

Decisions worth knowing:

- A contact belongs to a profile and is seen only by that profile's owner: every lookup goes
  through :func:`bca.profiles.service.require_own_profile` (the profile's ``user_id`` is the
  caller), then the contact is read within that profile. Anyone else gets 404, as for any
  resource they may not see.
- ``version``/``ETag``/``If-Match`` as for cards: every change bumps ``version``.
- A removed profile takes its contacts with it (soft-deleted; sync and CardDAV report them
  gone). A contact's image is a file the owner uploaded (a scanned card's photo, or one put
  in its place): no use in ``files.uses`` exposes it, so only its owner can fetch it, and a
  scan's photo stays the scan's when the contact gets another image.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.backends import Backends
from bca.contacts import repository
from bca.contacts.errors import ContactLimitReached, ContactNotFound
from bca.contacts.models import Contact
from bca.contacts.repository import MAX_CONTACTS_PER_PROFILE
from bca.contacts.schemas import ContactFields, ContactUpdate
from bca.contacts.sync import record_contact_change
from bca.core.time import utcnow
from bca.core.versioning import IfMatch, bump, check_if_match
from bca.files import service as files_service
from bca.files.service import UploadSource
from bca.profiles.service import require_own_profile


async def _saved(session: AsyncSession, contact: Contact) -> Contact:
    """Write a created, changed or removed contact; its owner's devices hear of it."""
    await session.flush()
    await record_contact_change(session, contact.id)
    return contact


async def _owned(
    session: AsyncSession,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    contact_id: uuid.UUID,
    for_update: bool = False,
) -> Contact:
    profile = await require_own_profile(session, user=user, profile_id=my_profile_id)
    contact = await repository.get_live(session, profile.id, contact_id, for_update=for_update)
    if contact is None:
        raise ContactNotFound()
    return contact


async def _editable(
    session: AsyncSession,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    contact_id: uuid.UUID,
    if_match: IfMatch | None,
) -> Contact:
    """The contact, locked for a change, once ``If-Match`` names its version (else 412)."""
    contact = await _owned(
        session, user=user, my_profile_id=my_profile_id, contact_id=contact_id, for_update=True
    )
    check_if_match(if_match, contact.version)
    return contact


async def create_contact(
    session: AsyncSession,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    data: ContactFields,
    image_file_id: uuid.UUID | None = None,
) -> Contact:
    # The profile row lock serialises concurrent creations against the per-profile limit.
    profile = await require_own_profile(
        session, user=user, profile_id=my_profile_id, for_update=True
    )
    if await repository.count_live(session, profile.id) >= MAX_CONTACTS_PER_PROFILE:
        raise ContactLimitReached()
    stored = data.model_dump(mode="json")
    now = utcnow()
    contact = Contact(
        profile_id=profile.id,
        image_file_id=image_file_id,
        created_at=now,
        updated_at=now,
        **stored,
    )
    session.add(contact)
    return await _saved(session, contact)


async def list_contacts(
    session: AsyncSession,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    query: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Contact]:
    profile = await require_own_profile(session, user=user, profile_id=my_profile_id)
    return await repository.list_of_profile(
        session, profile.id, query=query, after=after, limit=limit
    )


async def get_contact(
    session: AsyncSession, *, user: User, my_profile_id: uuid.UUID, contact_id: uuid.UUID
) -> Contact:
    return await _owned(session, user=user, my_profile_id=my_profile_id, contact_id=contact_id)


async def update_contact(
    session: AsyncSession,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    contact_id: uuid.UUID,
    data: ContactUpdate,
    if_match: IfMatch | None,
) -> Contact:
    contact = await _editable(
        session, user=user, my_profile_id=my_profile_id, contact_id=contact_id, if_match=if_match
    )
    changes = {
        key: value for key, value in data.changes().items() if getattr(contact, key) != value
    }
    if not changes:
        return contact
    for key, value in changes.items():
        setattr(contact, key, value)
    bump(contact)
    return await _saved(session, contact)


async def delete_contact(
    session: AsyncSession,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    contact_id: uuid.UUID,
    if_match: IfMatch | None,
) -> None:
    contact = await _editable(
        session, user=user, my_profile_id=my_profile_id, contact_id=contact_id, if_match=if_match
    )
    contact.deleted_at = utcnow()
    await _saved(session, contact)


async def set_contact_image(
    session: AsyncSession,
    backends: Backends,
    *,
    user: User,
    my_profile_id: uuid.UUID,
    contact_id: uuid.UUID,
    source: UploadSource,
    if_match: IfMatch | None,
) -> Contact:
    """Replace the contact's image with an upload of the owner's (as a card's preview). The
    file is the owner's and no use exposes it to anyone else, so it stays private."""
    contact = await files_service.replace_image(
        session,
        backends,
        user=user,
        source=source,
        purpose="contact_image",
        authorize=lambda: _editable(
            session,
            user=user,
            my_profile_id=my_profile_id,
            contact_id=contact_id,
            if_match=if_match,
        ),
        swap=files_service.image_swap("image_file_id", bump),
    )
    return await _saved(session, contact)


async def contacts_go_with_their_profile(
    session: AsyncSession, profile_id: uuid.UUID, _watchers: set[uuid.UUID]
) -> None:
    """A removed profile's contacts go with it (its owner's copies learn of each)."""
    for contact_id in await repository.soft_delete_of_profile(session, profile_id):
        await record_contact_change(session, contact_id)
