"""How offline sync hooks into the domains below it: every account gets its change log."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.hooks import on_account_created
from bca.accounts.models import User
from bca.sync.changelog import create_counter


@on_account_created
async def _start_change_log(session: AsyncSession, user: User) -> None:
    create_counter(session, user.id)
