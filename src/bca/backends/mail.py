"""Outgoing mail: console (saves .eml files with a readable .txt beside each, and shows each
mail on the server's terminal), SMTP, SES, or off."""

from __future__ import annotations

import asyncio
import logging
import sys
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol, TextIO
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from bca.settings import MailBackend, Settings

logger = logging.getLogger(__name__)


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


def build_message(*, sender: str, to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="bca.local")
    message.set_content(text)
    return message


class ConsoleMailer:
    """Keeps a copy of each mail under the outbox folder, for laptops and demos.

    The ``.eml`` is the mail as a mail program reads it: its text is quoted-printable, so a
    long link there reads ``token=3D...`` and breaks at soft line breaks. A person reads the
    ``.txt`` beside it (the headers and the text as written, links whole). The log line names
    that file and never holds the mail's text: its links carry tokens, and no secret reaches a
    log. When the server runs on a terminal (``make run``), the mail is also shown there, on the
    screen of the person who started it, which is no log.
    """

    def __init__(self, outbox: Path, *, terminal: TextIO | None = None) -> None:
        self.outbox = outbox
        self.terminal = terminal

    async def send(self, message: EmailMessage) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").replace("@", "_").replace("/", "_")
        path = self.outbox / f"{name}.eml"
        readable = readable_text(message)
        await asyncio.to_thread(path.write_bytes, bytes(message))
        await asyncio.to_thread(path.with_suffix(".txt").write_text, readable, "utf-8")
        logger.info(
            "mail to %s: %s (saved to %s)",
            message["To"],
            message["Subject"],
            path.with_suffix(".txt"),
        )
        if self.terminal is not None:
            shown = f"\n--- mail ---\n{readable}--- end of mail ---\n"
            print(shown, file=self.terminal, flush=True)


def _terminal() -> TextIO | None:
    """The server's terminal, when a person started it on one; ``None`` under a supervisor."""
    return sys.stderr if sys.stderr.isatty() else None


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    content: str = part.get_content()
    return content


def readable_text(message: EmailMessage) -> str:
    """The mail as a person reads it: its main headers, then its text, decoded."""
    headers = "".join(
        f"{name}: {message[name]}\n" for name in ("From", "To", "Subject", "Date") if message[name]
    )
    return f"{headers}\n{_body_text(message)}"


class SmtpMailer:
    """SMTP via a URL: ``smtp://user:password@host:587?starttls=true`` or ``smtps://host:465``."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("BCA_SMTP_URL must look like smtp://host:port or smtps://host:port")
        query = parse_qs(parts.query)
        self.hostname = parts.hostname
        self.use_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.use_tls else 25)
        self.start_tls = query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=30,
        )


class SesMailer:
    def __init__(self, settings: Settings) -> None:
        # Imported here: boto3 takes a while to load, and only this adapter needs it.
        import boto3

        self.client = boto3.client(
            "ses",
            region_name=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url,
            aws_access_key_id=settings.aws_access_key_id,
            aws_secret_access_key=settings.aws_secret_access_key,
        )

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(
            self.client.send_raw_email,
            Source=str(message["From"]),
            Destinations=[str(message["To"])],
            RawMessage={"Data": bytes(message)},
        )


class NullMailer:
    async def send(self, message: EmailMessage) -> None:
        logger.debug("mail is off; dropped mail to %s", message["To"])


def create_mailer(settings: Settings) -> Mailer:
    match settings.mail_backend:
        case MailBackend.console:
            return ConsoleMailer(settings.outbox_path, terminal=_terminal())
        case MailBackend.smtp:
            assert settings.smtp_url is not None  # enforced by Settings validation
            return SmtpMailer(settings.smtp_url)
        case MailBackend.ses:
            return SesMailer(settings)
        case MailBackend.off:
            return NullMailer()
