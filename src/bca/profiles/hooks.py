"""The hooks profiles offer the domains above them.

A removed profile, and a block between two profiles, take things of other domains with them
(a profile's cards, wallet entries between blocked profiles): those domains register here
(:func:`on_profile_removed`, :func:`on_block`, in their own service) and run in the same
transaction, so that profiles need not know them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

ProfileRemoved = Callable[[AsyncSession, uuid.UUID, set[uuid.UUID]], Awaitable[None]]
"""(profile, the users who watched it before) -> remove and record what goes with it."""
Block = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[None]]
"""(blocking profile, blocked profile) -> end what the block ends."""

_REMOVED: list[ProfileRemoved] = []
_BLOCKS: list[Block] = []


def on_profile_removed(hook: ProfileRemoved) -> ProfileRemoved:
    _REMOVED.append(hook)
    return hook


def on_block(hook: Block) -> Block:
    _BLOCKS.append(hook)
    return hook


async def profile_removed(
    session: AsyncSession, profile_id: uuid.UUID, watchers: set[uuid.UUID]
) -> None:
    for hook in _REMOVED:
        await hook(session, profile_id, watchers)


async def blocked(session: AsyncSession, acting: uuid.UUID, target: uuid.UUID) -> None:
    for hook in _BLOCKS:
        await hook(session, acting, target)
