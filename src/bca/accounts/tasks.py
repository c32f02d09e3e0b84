from __future__ import annotations

import logging

from bca.accounts import repository
from bca.accounts.lockout import WINDOW
from bca.backends import Backends
from bca.backends.mail import build_message
from bca.core.time import utcnow

logger = logging.getLogger(__name__)


async def send_email(backends: Backends, *, to: str, subject: str, text: str) -> None:
    """Sending is retried by the task layer; a mail server outage never loses an account."""
    message = build_message(sender=backends.settings.mail_from, to=to, subject=subject, text=text)
    await backends.mailer.send(message)


async def purge_signin_failures(backends: Backends) -> None:
    """Periodic: forget failure counts whose windows and lockout ended (logins that name
    nobody leave a row each)."""
    async with backends.database.transaction() as session:
        removed = await repository.purge_signin_failures(session, now=utcnow(), window=WINDOW)
    logger.info("purged %d sign-in failure records", removed)
