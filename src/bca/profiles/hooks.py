"""The hooks profiles offer the domains above them.

A removed profile, and a block between two profiles, take things of other domains with them
(a profile's cards, wallet entries between blocked profiles): those domains plug their
function in here (``PROFILE_REMOVED.plug(...)``, ``BLOCKED.plug(...)``, in their manifest) and
it runs in the same transaction, so that profiles need not know them.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bca.core.hooks import Hooks

PROFILE_REMOVED: Hooks[AsyncSession, uuid.UUID, set[uuid.UUID]] = Hooks("profiles: removed")
"""(profile, the users who watched it before) -> remove and record what goes with it."""
BLOCKED: Hooks[AsyncSession, uuid.UUID, uuid.UUID] = Hooks("profiles: blocked")
"""(blocking profile, blocked profile) -> end what the block ends."""

profile_removed = PROFILE_REMOVED.run
blocked = BLOCKED.run
