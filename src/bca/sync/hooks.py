"""How offline sync hooks into the domains below it: every account gets its change log
(plugged into ``bca.accounts.hooks.ACCOUNT_CREATED`` by ``bca.sync.manifest``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.sync.changelog import create_counter


async def start_change_log(session: AsyncSession, user: User) -> None:
    create_counter(session, user.id)
