"""Verified emails on cards, through the real SMTP test server: the code and the link, their
expiry and attempts, clearing on change, free-mail addresses, and the badge wherever the card
goes (the card, a wallet, sync, its vCard, CardDAV, the public page)."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
import vobject
from sqlalchemy import select, update

from bca.backends.tasks import run_task
from bca.cards.models import Card, CardEmailVerification
from bca.core.time import utcnow
from tests.factories.accounts import Api, TestUser
from tests.factories.carddav import dav_client, wallet_with_cards
from tests.factories.cards import create_card, share
from tests.factories.sync import changes_since
from tests.fixtures.smtp import SmtpInbox

WORK = "ada@engines.example"
FREE = "ada.lovelace@gmail.com"


@pytest.fixture
def rate_limits() -> bool:
    """Off, as in the rest of the suite; the rate-limit test turns them on."""
    return False


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest, rate_limits: bool) -> dict[str, Any]:
    inbox = request.getfixturevalue("smtp_inbox")
    return {"mail_backend": "smtp", "smtp_url": inbox.url, "rate_limit_enabled": rate_limits}


async def _card(api: Api, owner: TestUser, *emails: str) -> dict[str, Any]:
    data = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "organization": "Analytical Engines",
        "emails": [{"value": email, "type": "work"} for email in emails],
    }
    return await create_card(api, owner, data=data)


async def _ask(api: Api, owner: TestUser, card_id: str, email: str) -> Any:
    return await api.client.post(
        f"/v1/cards/{card_id}/verifications", json={"email": email}, headers=owner.headers
    )


async def _mail(api: Api, inbox: SmtpInbox, address: str) -> tuple[str, str, str]:
    """The last mail to ``address``: its text, code and link token."""
    await api.backends.tasks.drain()
    mails = inbox.to(address)
    assert mails, f"no mail to {address}"
    body = mails[-1].get_body(("plain",))
    assert body is not None
    text = body.get_content()
    code = re.search(r"code is (\d{6})", text)
    token = re.search(r"/verify-card-email\?token=([A-Za-z0-9_\-]+)", text)
    assert code, text
    assert token, text
    return text, code.group(1), token.group(1)


async def _confirm(api: Api, owner: TestUser, card_id: str, email: str, code: str) -> Any:
    return await api.client.post(
        f"/v1/cards/{card_id}/verifications/confirm",
        json={"email": email, "code": code},
        headers=owner.headers,
    )


async def test_a_mailed_code_verifies_a_work_address_for_a_year(
    api: Api, smtp_inbox: SmtpInbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    owner = await api.user()
    card = await _card(api, owner, "Ada@Engines.example", FREE)
    assert card["verified"] == []

    asked = await _ask(api, owner, card["id"], WORK)
    assert asked.status_code == 202, asked.text
    sent = asked.json()
    assert sent["email"] == WORK
    text, code, token = await _mail(api, smtp_inbox, WORK)
    assert "15 minutes" in text

    confirmed = await _confirm(api, owner, card["id"], WORK, code)
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["version"] == card["version"] + 1
    assert confirmed.headers["ETag"] == f'"{body["version"]}"'
    [entry] = body["verified"]
    assert entry["email"] == WORK
    assert entry["domain"] == "engines.example"
    assert entry["work"] is True
    assert set(entry) == {"email", "domain", "verified_at", "expires_at", "work"}
    now = utcnow()
    verified_at = datetime.fromisoformat(entry["verified_at"])
    expires_at = datetime.fromisoformat(entry["expires_at"])
    assert abs((verified_at - now).total_seconds()) < 60
    assert expires_at - verified_at == timedelta(days=365)

    # Used up: the same code and the link no longer work, and nothing else reached the address.
    again = await _confirm(api, owner, card["id"], WORK, code)
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_code"
    assert (await api.client.get(f"/verify-card-email?token={token}")).status_code == 400
    assert len(smtp_inbox.to(WORK)) == 1

    # Neither the code nor the link's token is in any log line of the server (httpx's lines
    # are this test's own client, mail.log's the test's SMTP server).
    logged = "\n".join(
        record.getMessage() for record in caplog.records if record.name not in {"httpx", "mail.log"}
    )
    assert code not in logged
    assert token not in logged


async def test_the_mailed_link_verifies_after_a_button_and_only_once(
    api: Api, smtp_inbox: SmtpInbox
) -> None:
    owner = await api.user()
    card = await _card(api, owner, WORK)
    assert (await _ask(api, owner, card["id"], WORK)).status_code == 202
    _, _, token = await _mail(api, smtp_inbox, WORK)

    page = await api.client.get(f"/verify-card-email?token={token}")
    assert page.status_code == 200
    assert 'id="verify"' in page.text
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    seen = await api.client.get(f"/v1/cards/{card['id']}", headers=owner.headers)
    assert seen.json()["verified"] == []  # opening the link changed nothing

    forged = await api.client.post(
        "/verify-card-email", data={"token": token}, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    done = await api.client.post(
        "/verify-card-email", data={"token": token}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert done.status_code == 200, done.text
    assert 'id="outcome"' in done.text
    assert card["name"] in done.text
    seen = await api.client.get(f"/v1/cards/{card['id']}", headers=owner.headers)
    assert [entry["email"] for entry in seen.json()["verified"]] == [WORK]

    reused = await api.client.post(
        "/verify-card-email", data={"token": token}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert reused.status_code == 400
    assert (await api.client.get("/verify-card-email?token=nonsense")).status_code == 400


async def test_a_free_mail_address_proves_ownership_not_an_employer(
    api: Api, smtp_inbox: SmtpInbox
) -> None:
    owner = await api.user()
    card = await _card(api, owner, FREE, "ada@mail.naver.com")
    for address in (FREE, "ada@mail.naver.com"):
        assert (await _ask(api, owner, card["id"], address)).status_code == 202
        _, code, _ = await _mail(api, smtp_inbox, address)
        assert (await _confirm(api, owner, card["id"], address, code)).status_code == 200
    seen = await api.client.get(f"/v1/cards/{card['id']}", headers=owner.headers)
    assert {(entry["email"], entry["work"]) for entry in seen.json()["verified"]} == {
        (FREE, False),
        ("ada@mail.naver.com", False),
    }


async def test_five_wrong_codes_use_up_the_code(api: Api, smtp_inbox: SmtpInbox) -> None:
    owner = await api.user()
    card = await _card(api, owner, WORK)
    assert (await _ask(api, owner, card["id"], WORK)).status_code == 202
    _, code, _ = await _mail(api, smtp_inbox, WORK)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        refused = await _confirm(api, owner, card["id"], WORK, wrong)
        assert refused.status_code == 400
        assert refused.json()["code"] == "invalid_code"
    exhausted = await _confirm(api, owner, card["id"], WORK, code)
    assert exhausted.status_code == 409
    assert exhausted.json()["code"] == "attempts_exhausted"

    # A new code starts afresh (and the old one is gone).
    assert (await _ask(api, owner, card["id"], WORK)).status_code == 202
    _, fresh, _ = await _mail(api, smtp_inbox, WORK)
    if fresh != code:
        assert (await _confirm(api, owner, card["id"], WORK, code)).status_code == 400
    assert (await _confirm(api, owner, card["id"], WORK, fresh)).status_code == 200


async def test_a_code_and_a_link_expire_after_15_minutes(api: Api, smtp_inbox: SmtpInbox) -> None:
    owner = await api.user()
    card = await _card(api, owner, WORK)
    assert (await _ask(api, owner, card["id"], WORK)).status_code == 202
    sent_at = utcnow()
    _, code, token = await _mail(api, smtp_inbox, WORK)
    async with api.backends.database.transaction() as session:
        pending = await session.scalar(select(CardEmailVerification))
        assert pending is not None
        assert timedelta(minutes=14) < pending.expires_at - sent_at <= timedelta(minutes=15)
        await session.execute(
            update(CardEmailVerification).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expired = await _confirm(api, owner, card["id"], WORK, code)
    assert expired.status_code == 400
    assert expired.json()["code"] == "invalid_code"
    assert (await api.client.get(f"/verify-card-email?token={token}")).status_code == 400


async def test_changing_the_address_clears_its_badge_and_its_code(
    api: Api, smtp_inbox: SmtpInbox
) -> None:
    owner = await api.user()
    card = await _card(api, owner, WORK, "ada@other.example")
    for address in (WORK, "ada@other.example"):
        assert (await _ask(api, owner, card["id"], address)).status_code == 202
    _, code, _ = await _mail(api, smtp_inbox, WORK)
    _, other_code, other_token = await _mail(api, smtp_inbox, "ada@other.example")
    confirmed = await _confirm(api, owner, card["id"], WORK, code)
    assert [entry["email"] for entry in confirmed.json()["verified"]] == [WORK]

    # The type of an address changes, the address stays: the badge stays.
    data = dict(card["data"])
    data["emails"] = [
        {"value": WORK, "type": "home"},
        {"value": "ada@other.example", "type": "work"},
    ]
    kept = await api.client.patch(
        f"/v1/cards/{card['id']}", json={"data": data}, headers=owner.headers
    )
    assert [entry["email"] for entry in kept.json()["verified"]] == [WORK]

    # Both addresses change: the badge goes, and the code sent to the old address is void.
    data["emails"] = [{"value": "ada@new.example"}]
    changed = await api.client.patch(
        f"/v1/cards/{card['id']}", json={"data": data}, headers=owner.headers
    )
    assert changed.status_code == 200
    assert changed.json()["verified"] == []
    stale = await _confirm(api, owner, card["id"], "ada@other.example", other_code)
    assert stale.status_code == 400
    assert (await api.client.get(f"/verify-card-email?token={other_token}")).status_code == 400

    # Re-verification before expiry renews the year.
    data["emails"] = [{"value": WORK}]
    await api.client.patch(f"/v1/cards/{card['id']}", json={"data": data}, headers=owner.headers)
    for _ in range(2):
        assert (await _ask(api, owner, card["id"], WORK)).status_code == 202
        _, code, _ = await _mail(api, smtp_inbox, WORK)
        renewed = await _confirm(api, owner, card["id"], WORK, code)
        assert len(renewed.json()["verified"]) == 1


async def test_only_the_owner_asks_and_only_for_the_cards_addresses(
    api: Api, smtp_inbox: SmtpInbox
) -> None:
    owner = await api.user()
    other = await api.user()
    card = await _card(api, owner, WORK)
    private = await create_card(api, owner, private=True, data={"emails": [{"value": WORK}]})
    not_on_card = await _ask(api, owner, card["id"], "someone@else.example")
    assert not_on_card.status_code == 409
    assert not_on_card.json()["code"] == "email_not_on_card"
    assert (await _ask(api, other, card["id"], WORK)).status_code == 403
    assert (await _ask(api, other, private["id"], WORK)).status_code == 404
    confirm = await _confirm(api, other, card["id"], WORK, "123456")
    assert confirm.status_code == 403
    bad = await api.client.post(
        f"/v1/cards/{card['id']}/verifications", json={"email": ""}, headers=owner.headers
    )
    assert bad.status_code == 422
    await api.backends.tasks.drain()
    assert smtp_inbox.messages == [] or all(
        message["To"] != "someone@else.example" for message in smtp_inbox.messages
    )
    assert smtp_inbox.to(WORK) == []


@pytest.mark.parametrize("rate_limits", [True])
async def test_sends_are_rate_limited_per_address_card_and_user(
    api: Api, smtp_inbox: SmtpInbox
) -> None:
    owner = await api.user()
    # Per address (3 an hour), across cards and owners: nobody mails a stranger repeatedly.
    card = await _card(api, owner, WORK, "b@engines.example", "c@engines.example")
    for _ in range(3):
        assert (await _ask(api, owner, card["id"], WORK)).status_code == 202
    limited = await _ask(api, owner, card["id"], WORK)
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    someone = await api.user()
    theirs = await _card(api, someone, WORK)
    assert (await _ask(api, someone, theirs["id"], WORK)).status_code == 429
    await api.backends.tasks.drain()
    assert len(smtp_inbox.to(WORK)) == 3

    # Per card (5 an hour): the 4 asks above counted, so the 6th is refused.
    assert (await _ask(api, owner, card["id"], "b@engines.example")).status_code == 202
    refused = await _ask(api, owner, card["id"], "c@engines.example")
    assert refused.status_code == 429
    await api.backends.tasks.drain()
    assert smtp_inbox.to("c@engines.example") == []

    # Per user (10 a day), whatever the cards and addresses.
    other = await api.user()
    sent = 0
    for index in range(4):
        many = await _card(api, other, *(f"p{index}-{n}@engines.example" for n in range(3)))
        for n in range(3):
            answer = await _ask(api, other, many["id"], f"p{index}-{n}@engines.example")
            if answer.status_code == 202:
                sent += 1
            else:
                assert answer.status_code == 429
    assert sent == 10


async def test_the_badge_goes_with_the_card_wallet_sync_vcard_and_carddav(
    api: Api, smtp_inbox: SmtpInbox
) -> None:
    owner, holder, me, [card] = await wallet_with_cards(api, count=1)
    address = card["data"]["emails"][0]["value"]
    _, since = await changes_since(api.client, holder)
    assert (await _ask(api, owner, card["id"], address)).status_code == 202
    _, code, _ = await _mail(api, smtp_inbox, address)
    assert (await _confirm(api, owner, card["id"], address, code)).status_code == 200

    wallet = await api.client.get(f"/v1/profiles/{me}/subscriptions", headers=holder.headers)
    [held] = wallet.json()["items"]
    assert [entry["email"] for entry in held["card"]["verified"]] == [address]

    changes, _ = await changes_since(api.client, holder, since)
    [change] = [c for c in changes if c["entity"] == "card" and c["id"] == card["id"]]
    assert [entry["email"] for entry in change["data"]["verified"]] == [address]

    exported = await api.client.get(f"/v1/cards/{card['id']}/vcard", headers=holder.headers)
    parsed = vobject.readOne(exported.text)
    [badge] = parsed.contents["x-bca-verified-email"]
    assert badge.value == address
    assert badge.params["X-WORK"] == ["true"]
    assert re.fullmatch(r"\d{8}T\d{6}Z", badge.params["X-EXPIRES"][0])
    assert re.fullmatch(r"\d{8}T\d{6}Z", badge.params["X-VERIFIED"][0])

    dav = await dav_client(api, holder)
    for version in ("4.0", "3.0"):
        got = await dav.request(
            "GET",
            dav.card(me, card["id"]),
            headers={"Accept": f"text/vcard; version={version}"},
        )
        assert got.status_code == 200, got.text
        [dav_badge] = vobject.readOne(got.text).contents["x-bca-verified-email"]
        assert dav_badge.value == address

    link = await share(api, owner, card["id"])
    token = link["url"].rsplit("/", 1)[1]
    public = vobject.readOne((await api.client.get(f"/c/{token}.vcf")).text)
    assert public.contents["x-bca-verified-email"][0].value == address
    page = await api.client.get(f"/c/{token}")
    assert "verified work email" in page.text
    assert '<meta itemprop="propertyID" content="verified-work-email">' in page.text
    assert f'<meta itemprop="value" content="{address}">' in page.text


async def test_an_expired_badge_leaves_every_read_and_the_offline_copies(
    api: Api, smtp_inbox: SmtpInbox
) -> None:
    owner = await api.user()
    card = await _card(api, owner, WORK)
    assert (await _ask(api, owner, card["id"], WORK)).status_code == 202
    _, code, _ = await _mail(api, smtp_inbox, WORK)
    verified = (await _confirm(api, owner, card["id"], WORK, code)).json()
    _, since = await changes_since(api.client, owner)

    past = (utcnow() - timedelta(days=1)).isoformat()
    async with api.backends.database.transaction() as session:
        row = await session.get(Card, uuid.UUID(verified["id"]))
        assert row is not None
        row.verified_emails = [dict(row.verified_emails[0], expires_at=past)]
        row.verified_until = utcnow() - timedelta(days=1)
    seen = await api.client.get(f"/v1/cards/{card['id']}", headers=owner.headers)
    assert seen.json()["verified"] == []  # gone from reads at once

    await run_task(api.backends, "cards.expire_verifications", {})
    changes, _ = await changes_since(api.client, owner, since)
    [change] = [c for c in changes if c["entity"] == "card"]
    assert change["data"]["verified"] == []
    assert change["data"]["version"] == verified["version"] + 1
    async with api.backends.database.transaction() as session:
        row = await session.get(Card, uuid.UUID(verified["id"]))
        assert row is not None
        assert row.verified_emails == []
        assert row.verified_until is None
