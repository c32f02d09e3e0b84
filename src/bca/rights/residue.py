"""What is left of a user, table by table and prefix by prefix (``bca admin users residue``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bca.core.personal import PERSONAL_DATA, PERSONAL_STORAGE, ObjectStore, Personal

LISTED = 100
"""At most this many keys are looked for under each prefix (enough to say it is not empty)."""


@dataclass(frozen=True)
class Residue:
    """Rows of one table, or objects under one prefix, that still hold something of a user."""

    kind: str
    """``table`` or ``storage``."""
    name: str
    """The table's name, or the prefix."""
    count: int
    """Rows, or objects (counted up to ``LISTED``)."""


def personal_tables() -> list[Personal]:
    return [declared for declared in PERSONAL_DATA if isinstance(declared, Personal)]


async def residue_of(
    session: AsyncSession, storage: ObjectStore, user_id: uuid.UUID
) -> list[Residue]:
    """Every declared table and storage prefix that holds anything of the user (empty once
    the user is erased)."""
    found: list[Residue] = []
    for declared in personal_tables():
        count = await session.scalar(
            select(func.count()).select_from(declared.table).where(declared.where(user_id))
        )
        if count:
            found.append(Residue("table", declared.name, int(count)))
    for prefix in PERSONAL_STORAGE:
        name = prefix.prefix(user_id)
        keys = await storage.list_keys(name, limit=LISTED)
        if keys:
            found.append(Residue("storage", name, len(keys)))
    return found
