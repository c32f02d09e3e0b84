"""What other domains do when an account is created or comes and goes, in the same transaction.

Accounts sit below the domains that hang things on them (profiles, offline sync), so they do
not call those domains: each registers its hook here (in its own ``hooks.py``, collected by
``bca.registry``), and the accounts service runs them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User

AccountHook = Callable[[AsyncSession, User], Awaitable[None]]

_CREATED: list[AccountHook] = []
_SHOWN_OR_HIDDEN: list[AccountHook] = []


def on_account_created(hook: AccountHook) -> AccountHook:
    """Run ``hook`` for every new account (its first profile, its change-log counter)."""
    _CREATED.append(hook)
    return hook


def on_account_shown_or_hidden(hook: AccountHook) -> AccountHook:
    """Run ``hook`` when an account is deactivated or restored (its profiles vanish or
    come back for everyone)."""
    _SHOWN_OR_HIDDEN.append(hook)
    return hook


async def account_created(session: AsyncSession, user: User) -> None:
    for hook in _CREATED:
        await hook(session, user)


async def account_shown_or_hidden(session: AsyncSession, user: User) -> None:
    for hook in _SHOWN_OR_HIDDEN:
        await hook(session, user)
