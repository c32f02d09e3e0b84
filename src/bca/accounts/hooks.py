"""What other domains do when an account is created or comes and goes, in the same transaction.

Accounts sit below the domains that hang things on them (profiles, offline sync), so they do
not call those domains: each registers its hook here (in its own ``hooks.py``, collected by
``bca.registry``), and the accounts service runs them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.core.hooks import Hooks

_CREATED: Hooks[AsyncSession, User] = Hooks()
"""Every new account (its first profile, its change-log counter)."""
_SHOWN_OR_HIDDEN: Hooks[AsyncSession, User] = Hooks()
"""An account deactivated or restored (its profiles vanish or come back for everyone)."""

on_account_created = _CREATED.register
account_created = _CREATED.run
on_account_shown_or_hidden = _SHOWN_OR_HIDDEN.register
account_shown_or_hidden = _SHOWN_OR_HIDDEN.run
