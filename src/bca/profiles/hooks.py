"""The hooks profiles offer the domains above them.

A removed profile, and a block between two profiles, take things of other domains with them
(a profile's cards, wallet entries between blocked profiles): those domains register here
(:func:`on_profile_removed`, :func:`on_block`, in their own service) and run in the same
transaction, so that profiles need not know them.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bca.core.hooks import Hooks

_REMOVED: Hooks[AsyncSession, uuid.UUID, set[uuid.UUID]] = Hooks()
"""(profile, the users who watched it before) -> remove and record what goes with it."""
_BLOCKS: Hooks[AsyncSession, uuid.UUID, uuid.UUID] = Hooks()
"""(blocking profile, blocked profile) -> end what the block ends."""

on_profile_removed = _REMOVED.register
profile_removed = _REMOVED.run
on_block = _BLOCKS.register
blocked = _BLOCKS.run
