"""Contacts never receive anything (issue 26, part 5): across the whole scan -> contact flow
(scan, suggestions, accept, corrections, a manual contact, edits, vCard, sync, delete) no mail
and no push goes to a contact's address or number, not even when that address belongs to a
B.Ca user with a device registered for push.

Mail goes through the real SMTP test server and push through the FCM stand-in; the mail and
push ports are also watched directly (so SES or another adapter could not slip past), and the
server has no SMS port at all. Web Push has no addresses to send to but subscriptions, which
this flow never creates; its port is watched too.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from typing import Any

import pytest

from bca.backends import Backends
from bca.backends.push import PushMessage, PushResult
from tests.factories.accounts import Api
from tests.factories.cards import create_card, first_profile_id, multipart
from tests.fixtures.fcm import FakeFcm
from tests.fixtures.smtp import SmtpInbox
from tests.scans.cardset import generate

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def settings_overrides(smtp_inbox: SmtpInbox, fake_fcm: FakeFcm) -> dict[str, Any]:
    return {
        "mail_backend": "smtp",
        "smtp_url": smtp_inbox.url,
        "FIREBASE_CERTIFICATE": fake_fcm.certificate_path,
        "fcm_base_url": fake_fcm.url,
        "fcm_token_uri": fake_fcm.token_uri,
    }


class Watched:
    """Everything the mail, push and Web Push ports are asked to send, whatever the adapter."""

    def __init__(self, backends: Backends) -> None:
        self.mail_to: list[str] = []
        self.push: list[PushMessage] = []
        self.web_push = 0
        mail_send, push_send, web_push_send = (
            backends.mailer.send,
            backends.push.send,
            backends.web_push.send,
        )

        async def mail(message: EmailMessage) -> None:
            self.mail_to.append(str(message["To"]))
            await mail_send(message)

        async def push(message: PushMessage) -> PushResult:
            self.push.append(message)
            return await push_send(message)

        async def web_push(*args: Any, **kwargs: Any) -> Any:
            self.web_push += 1
            return await web_push_send(*args, **kwargs)

        backends.mailer.send = mail  # type: ignore[method-assign]  # a spy on the port
        backends.push.send = push  # type: ignore[method-assign]  # a spy on the port
        backends.web_push.send = web_push  # type: ignore[method-assign]  # a spy on the port


def _sample() -> tuple[bytes, Any]:
    for card in generate(6):
        if card.index == 5:  # Korean, left-aligned: an email and two phones read reliably
            return card.image, card.truth
    raise AssertionError("no sample card")


async def _finished(api: Api, user: Any, scan_id: str) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + 120
    while True:
        await api.backends.tasks.drain()
        body: dict[str, Any] = (
            await api.client.get(f"/v1/scans/{scan_id}", headers=user.headers)
        ).json()
        if body["status"] != "pending":
            return body
        assert asyncio.get_running_loop().time() < deadline, "the scan was never read"
        await asyncio.sleep(0.1)


async def test_nothing_reaches_a_contacts_address_or_number(
    api: Api, smtp_inbox: SmtpInbox, fake_fcm: FakeFcm
) -> None:
    image, truth = _sample()
    scanned_email = truth.emails[0].lower()
    manual_email, manual_phone = "charlie@outside.example", "+82 10-9999-0000"
    contact_addresses = {scanned_email, manual_email}
    contact_numbers = {*truth.phones, manual_phone}

    # The scanned address is a B.Ca user's, with a public card and a phone registered for push:
    # being someone's contact must not reach them either.
    bob = await api.user(email=scanned_email)
    bob_card = await create_card(api, bob, data={"emails": [{"value": scanned_email}]})
    registered = await api.client.put(
        "/v1/sessions/current/push",
        json={"token": "bob-phone", "platform": "android"},
        headers=bob.headers,
    )
    assert registered.status_code == 204, registered.text
    alice = await api.user()
    me = await first_profile_id(api, alice)
    await api.backends.tasks.drain()
    mails_before = len(smtp_inbox.messages)
    pushes_before = len(fake_fcm.requests)
    watched = Watched(api.backends)

    # Scan, with Bob's public card suggested; keep it, accept the scan, correct it.
    scanned = await api.client.post(
        f"/v1/profiles/{me}/scans", files=multipart(image, "card.png"), headers=alice.headers
    )
    assert scanned.status_code == 202, scanned.text
    scan = await _finished(api, alice, scanned.json()["id"])
    assert scan["status"] == "done", scan
    assert [s["card_id"] for s in scan["suggestions"]] == [bob_card["id"]]
    kept = await api.client.put(
        f"/v1/profiles/{me}/subscriptions/{bob_card['id']}", headers=alice.headers
    )
    assert kept.status_code == 201, kept.text
    accepted = await api.client.post(
        f"/v1/scans/{scan['id']}/accept", json={"note": "fair"}, headers=alice.headers
    )
    assert accepted.status_code == 201, accepted.text
    contact = accepted.json()
    assert scanned_email in [e["value"].lower() for e in contact["emails"]]
    path = f"/v1/profiles/{me}/contacts/{contact['id']}"
    edited = await api.client.patch(
        path, json={"title": "Buyer"}, headers=alice.headers | {"If-Match": '"1"'}
    )
    assert edited.status_code == 200, edited.text

    # A contact typed in by hand, edited, exported, synced, deleted.
    manual = await api.client.post(
        f"/v1/profiles/{me}/contacts",
        json={
            "name": "Charlie",
            "emails": [{"value": manual_email}],
            "phones": [{"value": manual_phone}],
        },
        headers=alice.headers,
    )
    assert manual.status_code == 201, manual.text
    manual_path = f"/v1/profiles/{me}/contacts/{manual.json()['id']}"
    assert (await api.client.get(f"{manual_path}/vcard", headers=alice.headers)).is_success
    assert (await api.client.get(f"{path}/vcard", headers=alice.headers)).is_success
    assert (await api.client.get("/v1/sync/changes", headers=alice.headers)).is_success
    deleted = await api.client.delete(manual_path, headers=alice.headers | {"If-Match": '"1"'})
    assert deleted.status_code == 204, deleted.text

    await api.backends.tasks.drain()
    await asyncio.sleep(0.2)  # anything pushed or mailed late would have arrived by now
    await api.backends.tasks.drain()

    # Nothing was sent to anyone during the flow: not to the contacts' addresses (through
    # SMTP or any adapter), not to Bob's phone, not by Web Push.
    assert smtp_inbox.messages[mails_before:] == []
    assert watched.mail_to == []
    assert fake_fcm.requests[pushes_before:] == []
    assert watched.push == []
    assert watched.web_push == 0
    every_recipient = {str(message["To"]).lower() for message in smtp_inbox.messages}
    assert every_recipient.isdisjoint({manual_email})
    assert [str(m["To"]) for m in smtp_inbox.to(scanned_email)] == [scanned_email]  # sign-up only
    for request in fake_fcm.requests:
        text = str(request.body)
        assert not any(address in text for address in contact_addresses)
        assert not any(number in text for number in contact_numbers)
    # No SMS port exists to send through.
    assert not any("sms" in name.lower() for name in vars(api.backends))
