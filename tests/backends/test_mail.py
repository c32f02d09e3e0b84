"""Mail backends against real servers: SMTP (aiosmtpd) and SES (moto's server)."""

from __future__ import annotations

from typing import Any

import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from bca.backends.mail import SmtpMailer, build_message, create_mailer
from bca.settings import load_settings
from tests.fixtures.moto import MOTO_ACCESS_KEY_ID, MOTO_SECRET_ACCESS_KEY, moto_client


async def test_smtp_delivers_unicode(smtp_inbox: Any) -> None:
    mailer = SmtpMailer(smtp_inbox.url)
    await mailer.send(
        build_message(
            sender="noreply@bca.test", to="u@example.com", subject="Grüße ✓", text="Hallo ✓"
        )
    )
    [message] = smtp_inbox.to("u@example.com")
    assert message["Subject"] == "Grüße ✓"
    assert message.get_body(("plain",)).get_content().strip() == "Hallo ✓"


def test_smtp_url_parsing() -> None:
    mailer = SmtpMailer("smtps://user%40x:p%3Ass@mail.example.com")
    assert (mailer.hostname, mailer.port, mailer.use_tls) == ("mail.example.com", 465, True)
    assert (mailer.username, mailer.password) == ("user@x", "p:ss")
    assert SmtpMailer("smtp://h:587?starttls=true").start_tls is True
    with pytest.raises(ValueError, match="BCA_SMTP_URL"):
        SmtpMailer("http://nope")


async def test_ses_sends_through_the_aws_api(moto_endpoint: str, tmp_path: Any) -> None:
    moto_client(moto_endpoint, "ses").verify_email_identity(EmailAddress="noreply@bca.test")
    settings = load_settings(
        data_dir=tmp_path,
        mail_backend="ses",
        mail_from="noreply@bca.test",
        aws_endpoint_url=moto_endpoint,
        aws_access_key_id=MOTO_ACCESS_KEY_ID,
        aws_secret_access_key=MOTO_SECRET_ACCESS_KEY,
    )
    mailer = create_mailer(settings)
    await mailer.send(
        build_message(
            sender="noreply@bca.test", to="ses-reader@example.com", subject="Via SES", text="token"
        )
    )
    # The moto server runs in this process (tests/fixtures/moto.py): its SES holds what was sent.
    # (Its /moto-api/data.json cannot dump every service once S3 holds binary objects.)
    sent = ses_backends[DEFAULT_ACCOUNT_ID][settings.aws_region].sent_messages
    mine = [message for message in sent if "ses-reader@example.com" in message.destinations]
    assert len(mine) == 1
    assert "Subject: Via SES" in mine[0].raw_data
