"""The rules of profiles (personas)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bca.core.time import utcnow
from bca.profiles.models import Profile
from bca.sync.changelog import record_change


async def create_first_profile(session: AsyncSession, *, user_id: uuid.UUID, name: str) -> Profile:
    """Every account starts with one profile, named after the nickname or username."""
    now = utcnow()
    profile = Profile(user_id=user_id, name=name, created_at=now, updated_at=now)
    session.add(profile)
    await session.flush()
    await record_change(
        session, user_ids=[user_id], entity="profile", entity_id=str(profile.id), op="upsert"
    )
    return profile
