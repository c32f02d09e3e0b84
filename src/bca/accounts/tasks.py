from __future__ import annotations

from bca.backends import Backends
from bca.backends.mail import build_message
from bca.backends.tasks import task


@task("accounts.send_email")
async def send_email(backends: Backends, *, to: str, subject: str, text: str) -> None:
    """Sending is retried by the task layer; a mail server outage never loses an account."""
    message = build_message(sender=backends.settings.mail_from, to=to, subject=subject, text=text)
    await backends.mailer.send(message)
