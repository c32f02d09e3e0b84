"""The console mail backend's saved mail works for a person (issue 22, item 14): the ``.eml``
is quoted-printable, so a link there read ``token=3D...`` and broke at a soft line break; a
``.txt`` beside it holds the text as written. The log names that file but never holds a link
(its token is a secret); the server's terminal, when there is one, shows the mail whole."""

from __future__ import annotations

import email
import email.policy
import io
import logging
from pathlib import Path

import pytest

from bca.backends.mail import ConsoleMailer, build_message

LINK = "https://bca.example/verify-email?token=" + "Ab3-_x" * 12


async def test_the_saved_mail_has_a_readable_copy_and_the_terminal_shows_the_link(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    terminal = io.StringIO()
    message = build_message(
        sender="B.Ca <noreply@bca.local>",
        to="ada@example.com",
        subject="Confirm your email address",
        text=f"Hello Ada,\n\nopen this link to confirm your address:\n{LINK}\n",
    )
    with caplog.at_level(logging.INFO, logger="bca.backends.mail"):
        await ConsoleMailer(tmp_path, terminal=terminal).send(message)
    [eml] = tmp_path.glob("*.eml")
    readable = eml.with_suffix(".txt")
    text = readable.read_text("utf-8")
    assert LINK in text.splitlines(), "the link whole, on a line of its own"
    assert "=3D" not in text
    assert "To: ada@example.com" in text
    assert "Subject: Confirm your email address" in text
    # The .eml stays a mail (quoted-printable, which is why the .txt exists) and says the same.
    raw = eml.read_bytes()
    assert b"token=3D" in raw
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    body = parsed.get_body(("plain",))
    assert body is not None
    assert LINK in body.get_content()
    # The log names the readable copy, never the link; the terminal shows the link whole.
    assert str(readable) in caplog.text
    assert "token" not in caplog.text
    assert LINK in terminal.getvalue().splitlines()


@pytest.mark.parametrize("json_format", [False, True])
def test_every_logger_redacts_tokens(json_format: bool) -> None:
    from bca.core.observability import log_formatter

    formatter = log_formatter(json_format=json_format)

    def line(logger: str) -> str:
        record = logging.LogRecord(logger, logging.INFO, __file__, 1, "open %s", (LINK,), None)
        return formatter.format(record)

    for logger in ("bca.backends.mail", "uvicorn.access", "uvicorn.error", "celery"):
        assert LINK not in line(logger)
        assert "token=[redacted]" in line(logger)
