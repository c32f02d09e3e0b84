"""What other domains do when an account is created or comes and goes, in the same transaction.

Accounts sit below the domains that hang things on them (profiles, offline sync), so they do
not call those domains: each plugs its function into these hooks in its manifest
(``ACCOUNT_CREATED.plug(...)``), and the accounts service runs them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bca.accounts.models import User
from bca.core.hooks import Hooks

ACCOUNT_CREATED: Hooks[AsyncSession, User] = Hooks("accounts: account created")
"""Every new account (its first profile, its change-log counter)."""
ACCOUNT_SHOWN_OR_HIDDEN: Hooks[AsyncSession, User] = Hooks("accounts: account shown or hidden")
"""An account deactivated or restored (its profiles vanish or come back for everyone)."""

account_created = ACCOUNT_CREATED.run
account_shown_or_hidden = ACCOUNT_SHOWN_OR_HIDDEN.run
