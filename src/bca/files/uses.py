"""How other domains use stored files: whom a use shows a file to, and which uses keep it.

Files sit below the domains that use them (a profile's image, a card's preview, a message's
attachment), so those domains plug their uses in here, in their manifests: :data:`EXPOSURES`
(a profile image to whoever sees the profile, a card preview to whoever sees the card, an
attachment to the current participants of its chat) and :data:`KEEPERS` (an attachment stays
when the profile image it also is gets replaced).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from bca.core.domain import Slot
from bca.files.models import StoredFile

Exposure = Callable[[uuid.UUID, Any], ColumnElement[bool]]
"""(viewing user, the file's id column) -> the file is shown to that user through this use."""

Keeper = Callable[[Any], ColumnElement[bool]]
"""(the file's id column) -> this use keeps the file when another use lets it go."""

EXPOSURES: Slot[Exposure] = Slot("files: exposures")
KEEPERS: Slot[Keeper] = Slot("files: keepers")


def still_used(file_id: Any) -> ColumnElement[bool]:
    return or_(false(), *(keeper(file_id) for keeper in KEEPERS))


def file_visible(viewer: uuid.UUID) -> ColumnElement[bool]:
    return and_(
        StoredFile.deleted_at.is_(None),
        or_(
            StoredFile.owner_user_id == viewer,
            *(exposure(viewer, StoredFile.id) for exposure in EXPOSURES),
        ),
    )
