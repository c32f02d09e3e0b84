"""Contacts: paper cards' people kept in one of my profiles, private to me, through HTTP."""

from __future__ import annotations

from typing import Any

import vobject

from bca.backends import Backends
from bca.sync.snapshots import SCHEMA_VERSION
from tests.factories.accounts import Api, TestUser
from tests.factories.carddav import DAV, dav_client, multistatus, sync_token_of
from tests.factories.cards import create_profile, first_profile_id, image_bytes, multipart
from tests.factories.sync import changes_since, fetch_snapshot, open_copy

ADA: dict[str, Any] = {
    "name": "김민수",
    "organization": "(주)한빛소프트",
    "title": "부장",
    "phones": [{"value": "+821012345678", "type": "cell"}],
    "emails": [{"value": "minsu@example.co.kr"}],
    "urls": ["www.example.co.kr"],
    "address": "서울특별시 강남구 테헤란로 123",
    "note": "Met at the fair",
}


async def _create(api: Api, user: TestUser, me: str, **fields: Any) -> dict[str, Any]:
    response = await api.client.post(
        f"/v1/profiles/{me}/contacts", json=ADA | fields, headers=user.headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    body: dict[str, Any] = response.json()
    return body


async def test_crud_with_versions_and_if_match(api: Api) -> None:
    alice = await api.user()
    me = await first_profile_id(api, alice)
    contact = await _create(api, alice, me)
    assert contact["name"] == "김민수"
    assert contact["version"] == 1
    assert contact["image_url"] is None
    path = f"/v1/profiles/{me}/contacts/{contact['id']}"

    got = await api.client.get(path, headers=alice.headers)
    assert got.status_code == 200
    assert got.json() == contact

    stale = await api.client.patch(
        path, json={"title": "이사"}, headers=alice.headers | {"If-Match": '"7"'}
    )
    assert stale.status_code == 412
    changed = await api.client.patch(
        path, json={"title": "이사", "note": None}, headers=alice.headers | {"If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "이사"
    assert changed.json()["note"] is None
    assert changed.json()["version"] == 2
    assert changed.headers["ETag"] == '"2"'
    null_name = await api.client.patch(path, json={"name": None}, headers=alice.headers)
    assert null_name.status_code == 422

    stale_delete = await api.client.delete(path, headers=alice.headers | {"If-Match": '"1"'})
    assert stale_delete.status_code == 412
    deleted = await api.client.delete(path, headers=alice.headers | {"If-Match": '"2"'})
    assert deleted.status_code == 204
    assert (await api.client.get(path, headers=alice.headers)).status_code == 404


async def test_private_to_the_owner_of_the_profile(api: Api) -> None:
    alice, mallory = await api.user(), await api.user()
    me = await first_profile_id(api, alice)
    contact = await _create(api, alice, me)
    path = f"/v1/profiles/{me}/contacts/{contact['id']}"
    for method in ("GET", "DELETE"):
        response = await api.client.request(method, path, headers=mallory.headers)
        assert response.status_code == 404, method
    listing = await api.client.get(f"/v1/profiles/{me}/contacts", headers=mallory.headers)
    assert listing.status_code == 404
    created = await api.client.post(
        f"/v1/profiles/{me}/contacts", json=ADA, headers=mallory.headers
    )
    assert created.status_code == 404
    # Mallory's own profile does not open Alice's contact either.
    theirs = await first_profile_id(api, mallory)
    across = await api.client.get(
        f"/v1/profiles/{theirs}/contacts/{contact['id']}", headers=mallory.headers
    )
    assert across.status_code == 404
    # Nor does another profile of Alice's own: a contact lives in one profile's wallet.
    work = await create_profile(api, alice)
    other = await api.client.get(
        f"/v1/profiles/{work['id']}/contacts/{contact['id']}", headers=alice.headers
    )
    assert other.status_code == 404


async def test_list_paginates_and_searches(api: Api) -> None:
    alice = await api.user()
    me = await first_profile_id(api, alice)
    made = [
        await _create(api, alice, me, name=f"Person {index}", emails=[{"value": f"p{index}@x.io"}])
        for index in range(5)
    ]
    await _create(api, alice, me, name="Grace Hopper", organization="Navy Labs Inc.", emails=[])
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await api.client.get(
            f"/v1/profiles/{me}/contacts", params=params, headers=alice.headers
        )
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen[:5] == [contact["id"] for contact in made]
    assert len(seen) == 6

    async def search(text: str) -> list[str]:
        found = await api.client.get(
            f"/v1/profiles/{me}/contacts", params={"q": text}, headers=alice.headers
        )
        assert found.status_code == 200, found.text
        return [item["name"] for item in found.json()["items"]]

    assert await search("navy") == ["Grace Hopper"]
    assert await search("p3@x") == ["Person 3"]
    assert await search("100%") == []
    assert await search("_") == []


async def test_vcard_sync_snapshot_and_profile_removal(api: Api, backends: Backends) -> None:
    alice = await api.user()
    work = await create_profile(api, alice)
    _, cursor = await changes_since(api.client, alice)
    contact = await _create(api, alice, work["id"])

    vcard = await api.client.get(
        f"/v1/profiles/{work['id']}/contacts/{contact['id']}/vcard", headers=alice.headers
    )
    assert vcard.status_code == 200
    assert vcard.headers["content-type"].startswith("text/vcard")
    parsed = vobject.readOne(vcard.text)
    assert parsed.fn.value == "김민수"
    assert parsed.n.value.family == "김"
    assert parsed.n.value.given == "민수"
    assert parsed.org.value == ["(주)한빛소프트"]
    assert parsed.tel.value == "+821012345678"
    assert parsed.email.value == "minsu@example.co.kr"

    changes, cursor = await changes_since(api.client, alice, cursor)
    entries = [c for c in changes if c["entity"] == "contact"]
    assert entries == [{"entity": "contact", "op": "upsert", "id": contact["id"], "data": contact}]
    snapshot = await fetch_snapshot(api.client, backends, alice)
    assert snapshot.status_code == 200
    rows = open_copy(snapshot.content).execute("SELECT id, name, version FROM contacts").fetchall()
    assert rows == [(contact["id"], "김민수", 1)]
    schema = open_copy(snapshot.content).execute("SELECT schema_version FROM meta").fetchone()
    assert schema == (SCHEMA_VERSION,)

    removed = await api.client.delete(f"/v1/profiles/{work['id']}", headers=alice.headers)
    assert removed.status_code == 204, removed.text
    changes, _ = await changes_since(api.client, alice, cursor)
    assert {"entity": "contact", "op": "delete", "id": contact["id"]} in [
        {key: value for key, value in c.items() if key != "data"}
        for c in changes
        if c["entity"] == "contact"
    ]


async def test_contacts_in_the_carddav_address_book(api: Api) -> None:
    alice = await api.user()
    me = await first_profile_id(api, alice)
    dav = await dav_client(api, alice)
    first = await dav.sync(me)
    assert first.status_code == 207
    token = sync_token_of(first)

    contact = await _create(api, alice, me)
    href = dav.card(me, contact["id"])
    got = await dav.request("GET", href)
    assert got.status_code == 200, got.text
    assert "FN:김민수" in got.text
    assert got.headers["ETag"]
    listing = await dav.propfind(dav.book(me), "<d:getetag/>", depth="1")
    assert href in multistatus(listing)

    changed = await dav.sync(me, token)
    assert changed.status_code == 207
    found = multistatus(changed)
    assert found[href].status is None
    assert found[href].props[f"{DAV}getetag"].text == got.headers["ETag"]
    token = sync_token_of(changed)

    # Another profile's book does not list it.
    work = await create_profile(api, alice)
    other = await dav.sync(work["id"], token.replace(me, work["id"]))
    assert dav.card(work["id"], contact["id"]) not in multistatus(other)

    deleted = await api.client.delete(
        f"/v1/profiles/{me}/contacts/{contact['id']}", headers=alice.headers
    )
    assert deleted.status_code == 204
    after = multistatus(await dav.sync(me, token))
    assert after[href].status == 404
    assert (await dav.request("GET", href)).status_code == 404


async def test_image_upload_is_versioned_and_private_to_the_owner(api: Api) -> None:
    alice, mallory = await api.user(), await api.user()
    me = await first_profile_id(api, alice)
    contact = await _create(api, alice, me)
    dav = await dav_client(api, alice)
    href = dav.card(me, contact["id"])
    before = await dav.request("GET", href)
    assert "PHOTO" not in before.text
    token = sync_token_of(await dav.sync(me))
    _, cursor = await changes_since(api.client, alice)
    path = f"/v1/profiles/{me}/contacts/{contact['id']}/image"

    foreign = await api.client.put(path, files=multipart(image_bytes()), headers=mallory.headers)
    assert foreign.status_code == 404
    stale = await api.client.put(
        path, files=multipart(image_bytes()), headers=alice.headers | {"If-Match": '"7"'}
    )
    assert stale.status_code == 412
    uploaded = await api.client.put(
        path,
        files=multipart(image_bytes("WEBP", size=(48, 32))),
        headers=alice.headers | {"If-Match": '"1"'},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.headers["ETag"] == '"2"'
    changed = uploaded.json()
    assert changed["version"] == 2
    image_path = changed["image_url"].removeprefix("https://bca.test")
    assert image_path.startswith("/v1/files/")

    mine = await api.client.get(image_path, headers=alice.headers)
    assert mine.status_code in (200, 307)
    assert (await api.client.get(image_path, headers=mallory.headers)).status_code == 404

    changes, _ = await changes_since(api.client, alice, cursor)
    assert [c for c in changes if c["entity"] == "contact"] == [
        {"entity": "contact", "op": "upsert", "id": contact["id"], "data": changed}
    ]
    after = await dav.request("GET", href)
    assert after.headers["ETag"] != before.headers["ETag"]
    photo = vobject.readOne(after.text).photo.value
    assert photo.endswith(image_path.removeprefix("/v1/files/"))
    synced = multistatus(await dav.sync(me, token))
    assert synced[href].props[f"{DAV}getetag"].text == after.headers["ETag"]

    replaced = await api.client.put(
        path, files=multipart(image_bytes()), headers=alice.headers | {"If-Match": '"2"'}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["version"] == 3
    assert replaced.json()["image_url"] != changed["image_url"]
    assert (await api.client.get(image_path, headers=alice.headers)).status_code == 404
