"""A paper card's whole way through HTTP, on both stacks: scan -> done -> accept -> the
contact in /v1/sync/changes, a fresh snapshot and the vCard export; suggestions of public
B.Ca cards (and none of private ones); failures that end as ``failed``, never a 500."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import pytesseract
import pytest
import vobject
from PIL import Image

from bca.backends import Backends
from tests.factories.accounts import Api, TestUser
from tests.factories.cards import create_card, create_profile, first_profile_id, multipart
from tests.factories.sync import changes_since, fetch_snapshot, open_copy
from tests.scans.cardset import Truth, generate

pytestmark = pytest.mark.timeout(300)


def _card(index: int) -> tuple[bytes, Truth]:
    """A clean, straight card of the generated set (``index`` picks the layout)."""
    for card in generate(index + 1):
        if card.index == index:
            return card.image, card.truth
    raise AssertionError(index)


async def _scan(api: Api, user: TestUser, me: str, image: bytes, **params: str) -> str:
    response = await api.client.post(
        f"/v1/profiles/{me}/scans",
        files=multipart(image, "card.png"),
        params=params,
        headers=user.headers,
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "pending"
    scan_id: str = body["id"]
    return scan_id


async def _finished(
    client: httpx.AsyncClient, backends: Backends, user: TestUser, scan_id: str
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + 120
    while True:
        await backends.tasks.drain()
        response = await client.get(f"/v1/scans/{scan_id}", headers=user.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] != "pending":
            return body
        assert asyncio.get_running_loop().time() < deadline, "the scan was never read"
        await asyncio.sleep(0.1)


async def test_scan_accept_sync_snapshot_vcard(api: Api, backends: Backends) -> None:
    alice = await api.user()
    me = await first_profile_id(api, alice)
    image, truth = _card(5)  # Korean, left-aligned
    _, cursor = await changes_since(api.client, alice)

    scan_id = await _scan(api, alice, me, image)
    scan = await _finished(api.client, backends, alice, scan_id)
    assert scan["status"] == "done", scan
    fields = scan["fields"]
    assert fields["name"]["value"] == truth.name
    assert 0 < fields["name"]["confidence"] <= 1
    assert [p["value"]["value"] for p in fields["phones"]] == truth.phones
    assert [e["value"]["value"] for e in fields["emails"]] == truth.emails
    assert truth.name in scan["raw_text"]
    assert scan["suggestions"] == []

    accepted = await api.client.post(
        f"/v1/scans/{scan_id}/accept", json={"note": "Busan fair"}, headers=alice.headers
    )
    assert accepted.status_code == 201, accepted.text
    contact = accepted.json()
    assert contact["name"] == truth.name
    assert contact["note"] == "Busan fair"
    assert [p["value"] for p in contact["phones"]] == truth.phones
    assert contact["image_url"] == scan["image_url"]
    again = await api.client.post(f"/v1/scans/{scan_id}/accept", json={}, headers=alice.headers)
    assert again.status_code == 200
    assert again.json()["id"] == contact["id"]

    scan_image = contact["image_url"].removeprefix("https://bca.test")
    image_file = await api.client.get(scan_image, headers=alice.headers)
    assert image_file.status_code in (200, 307)
    bob = await api.user()
    assert (await api.client.get(scan_image, headers=bob.headers)).status_code == 404

    changes, _ = await changes_since(api.client, alice, cursor)
    assert [c for c in changes if c["entity"] == "contact"] == [
        {"entity": "contact", "op": "upsert", "id": contact["id"], "data": contact}
    ]
    snapshot = await fetch_snapshot(api.client, backends, alice)
    rows = open_copy(snapshot.content).execute("SELECT id, name FROM contacts").fetchall()
    assert rows == [(contact["id"], truth.name)]
    vcard = await api.client.get(
        f"/v1/profiles/{me}/contacts/{contact['id']}/vcard", headers=alice.headers
    )
    parsed = vobject.readOne(vcard.text)
    assert parsed.fn.value == truth.name
    assert sorted(tel.value for tel in parsed.contents["tel"]) == sorted(truth.phones)

    # Another image for the contact leaves the scan its photo (still the owner's only).
    replaced = await api.client.put(
        f"/v1/profiles/{me}/contacts/{contact['id']}/image",
        files=multipart(image),
        headers=alice.headers | {"If-Match": '"1"'},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["image_url"] != contact["image_url"]
    assert (await api.client.get(scan_image, headers=alice.headers)).status_code in (200, 307)
    assert (await api.client.get(scan_image, headers=bob.headers)).status_code == 404
    rescanned = await api.client.get(f"/v1/scans/{scan_id}", headers=alice.headers)
    assert rescanned.json()["image_url"] == contact["image_url"]


async def test_corrections_replace_the_proposal(api: Api, backends: Backends) -> None:
    alice = await api.user()
    me = await first_profile_id(api, alice)
    image, truth = _card(2)  # English, left-aligned
    scan_id = await _scan(api, alice, me, image, region="US")
    scan = await _finished(api.client, backends, alice, scan_id)
    assert scan["status"] == "done", scan
    accepted = await api.client.post(
        f"/v1/scans/{scan_id}/accept",
        json={"name": "Dr. Corrected", "title": None, "emails": []},
        headers=alice.headers,
    )
    assert accepted.status_code == 201, accepted.text
    contact = accepted.json()
    assert contact["name"] == "Dr. Corrected"
    assert contact["title"] is None
    assert contact["emails"] == []
    assert [p["value"] for p in contact["phones"]] == truth.phones


async def test_suggests_public_cards_and_never_private_ones(api: Api, backends: Backends) -> None:
    alice, bob, carol = await api.user(), await api.user(), await api.user()
    me = await first_profile_id(api, alice)
    image, truth = _card(5)
    # Bob's public card carries the scanned email; Carol's phone is on a private card, and on
    # a public card of a private profile.
    bob_card = await create_card(api, bob, data={"emails": [{"value": truth.emails[0].upper()}]})
    await create_card(
        api, carol, private=True, data={"phones": [{"value": "0" + truth.phones[1][3:]}]}
    )
    hidden = await create_profile(api, carol, private=True)
    await create_card(api, carol, hidden["id"], data={"phones": [{"value": truth.phones[1]}]})

    scan = await _finished(api.client, backends, alice, await _scan(api, alice, me, image))
    assert scan["status"] == "done", scan
    assert [(s["card_id"], s["matched"]) for s in scan["suggestions"]] == [
        (bob_card["id"], "email")
    ]
    assert scan["suggestions"][0]["profile_id"] == bob_card["profile_id"]
    assert scan["suggestions"][0]["value"] == truth.emails[0]

    # The same phone on a public card of a public profile is suggested.
    carol_public = await create_card(
        api, carol, data={"phones": [{"value": "0" + truth.phones[1][3:]}]}
    )
    again = await api.client.get(f"/v1/scans/{scan['id']}", headers=alice.headers)
    suggested = {(s["card_id"], s["matched"]) for s in again.json()["suggestions"]}
    assert suggested == {(bob_card["id"], "email"), (carol_public["id"], "phone")}

    # Once Bob's card turns private it is no longer suggested.
    turned = await api.client.patch(
        f"/v1/cards/{bob_card['id']}", json={"private": True}, headers=bob.headers
    )
    assert turned.status_code == 200
    last = await api.client.get(f"/v1/scans/{scan['id']}", headers=alice.headers)
    assert {s["card_id"] for s in last.json()["suggestions"]} == {carol_public["id"]}


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def test_unreadable_images_fail_with_a_reason(api: Api, backends: Backends) -> None:
    alice = await api.user()
    me = await first_profile_id(api, alice)
    blank = _png(Image.new("RGB", (600, 350), (255, 255, 255)))
    tiny = _png(Image.new("RGB", (20, 12), (0, 0, 0)))
    for image in (blank, tiny):
        scan = await _finished(api.client, backends, alice, await _scan(api, alice, me, image))
        assert scan["status"] == "failed", scan
        assert scan["failure"], scan
        assert scan["fields"] is None
        refused = await api.client.post(
            f"/v1/scans/{scan['id']}/accept", json={}, headers=alice.headers
        )
        assert refused.status_code == 409
    not_image = await api.client.post(
        f"/v1/profiles/{me}/scans",
        files=multipart(b"hello, I am text", "card.txt", "text/plain"),
        headers=alice.headers,
    )
    assert not_image.status_code == 415
    bad_region = await api.client.post(
        f"/v1/profiles/{me}/scans",
        files=multipart(blank),
        params={"region": "ZZ"},
        headers=alice.headers,
    )
    assert bad_region.status_code == 422


async def test_a_server_without_tesseract_fails_the_scan_with_a_reason(
    api: Api, backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    alice = await api.user()
    me = await first_profile_id(api, alice)
    image, _ = _card(2)
    scan = await _finished(api.client, backends, alice, await _scan(api, alice, me, image))
    assert scan["status"] == "failed", scan
    assert scan["failure"] == "Card reading is not available on this server."


async def test_others_scans_are_not_found(api: Api, backends: Backends) -> None:
    alice, mallory = await api.user(), await api.user()
    me = await first_profile_id(api, alice)
    image, _ = _card(1)
    scan_id = await _scan(api, alice, me, image)
    await _finished(api.client, backends, alice, scan_id)
    assert (
        await api.client.get(f"/v1/scans/{scan_id}", headers=mallory.headers)
    ).status_code == 404
    stolen = await api.client.post(f"/v1/scans/{scan_id}/accept", json={}, headers=mallory.headers)
    assert stolen.status_code == 404
    into_theirs = await api.client.post(
        f"/v1/profiles/{me}/scans", files=multipart(image), headers=mallory.headers
    )
    assert into_theirs.status_code == 404
