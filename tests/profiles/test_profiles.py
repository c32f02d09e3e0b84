"""Profiles: create, list, search, get, patch, delete, image; ETag/If-Match; private summaries."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bca.sync.models import Change
from tests.factories.accounts import Api
from tests.factories.cards import (
    FULL_PROFILE_FIELDS,
    SUMMARY_PROFILE_FIELDS,
    camera_exif,
    create_card,
    create_profile,
    first_profile_id,
    image_bytes,
    multipart,
    relate,
    share,
)


async def test_signup_profile_is_listed_and_create_returns_the_full_profile(api: Api) -> None:
    user = await api.user()
    listed = await api.client.get("/v1/profiles", headers=user.headers)
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 1
    assert listed.json()["next_cursor"] is None

    response = await api.client.post(
        "/v1/profiles",
        json={
            "name": "  At work ",
            "team_name": "Platform",
            "email": "me@example.com",
            "sns": {"github": "octo"},
            "data": {"color": "blue"},
        },
        headers=user.headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == FULL_PROFILE_FIELDS
    assert body["name"] == "At work"
    assert body["version"] == 1
    assert body["mine"] is True
    assert body["image_url"] is None
    assert body["created_at"].endswith("Z")
    assert response.headers["etag"] == '"1"'


async def test_profile_input_is_validated(api: Api) -> None:
    user = await api.user()
    for body in (
        {},
        {"name": ""},
        {"name": "x" * 101},
        {"name": "ok", "unknown": 1},
        {"name": "ok", "email": "not-an-email"},
        {"name": "ok", "sns": {"Bad Network": "x"}},
        {"name": "ok", "data": {"blob": "x" * 20000}},
    ):
        response = await api.client.post("/v1/profiles", json=body, headers=user.headers)
        assert response.status_code == 422, body
        assert response.json()["code"] == "validation_error"


async def test_at_most_twenty_profiles(api: Api) -> None:
    user = await api.user()
    for _ in range(19):
        await create_profile(api, user)
    response = await api.client.post("/v1/profiles", json={"name": "21st"}, headers=user.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "limit_reached"
    # Deleting one makes room again.
    extra = (await api.client.get("/v1/profiles?limit=200", headers=user.headers)).json()["items"]
    assert len(extra) == 20
    deleted = await api.client.delete(f"/v1/profiles/{extra[-1]['id']}", headers=user.headers)
    assert deleted.status_code == 204
    again = await api.client.post("/v1/profiles", json={"name": "again"}, headers=user.headers)
    assert again.status_code == 201


async def test_listing_paginates(api: Api) -> None:
    user = await api.user()
    for _ in range(4):
        await create_profile(api, user)
    seen: list[str] = []
    cursor = None
    while True:
        url = "/v1/profiles?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.client.get(url, headers=user.headers)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5
    assert len(set(seen)) == 5
    bad = await api.client.get("/v1/profiles?cursor=garbage!", headers=user.headers)
    assert bad.status_code == 422


async def test_get_patch_and_versioning(api: Api) -> None:
    owner = await api.user()
    other = await api.user()
    profile = await create_profile(api, owner, name="Alice", team_name="Core")

    seen = await api.client.get(f"/v1/profiles/{profile['id']}", headers=other.headers)
    assert seen.status_code == 200
    assert set(seen.json()) == FULL_PROFILE_FIELDS
    assert seen.json()["mine"] is False

    patched = await api.client.patch(
        f"/v1/profiles/{profile['id']}",
        json={"description": "Hello", "team_name": None},
        headers={**owner.headers, "If-Match": '"1"'},
    )
    assert patched.status_code == 200
    assert patched.json()["version"] == 2
    assert patched.json()["team_name"] is None
    assert patched.headers["etag"] == '"2"'

    stale = await api.client.patch(
        f"/v1/profiles/{profile['id']}",
        json={"description": "Lost update"},
        headers={**owner.headers, "If-Match": '"1"'},
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"

    weak = await api.client.patch(
        f"/v1/profiles/{profile['id']}",
        json={"description": "weak"},
        headers={**owner.headers, "If-Match": 'W/"2"'},
    )
    assert weak.status_code == 412

    star = await api.client.patch(
        f"/v1/profiles/{profile['id']}",
        json={"description": "any"},
        headers={**owner.headers, "If-Match": "*"},
    )
    assert star.status_code == 200
    assert star.json()["version"] == 3

    unchanged = await api.client.patch(
        f"/v1/profiles/{profile['id']}", json={"description": "any"}, headers=owner.headers
    )
    assert unchanged.json()["version"] == 3

    null_name = await api.client.patch(
        f"/v1/profiles/{profile['id']}", json={"name": None}, headers=owner.headers
    )
    assert null_name.status_code == 422

    forbidden = await api.client.patch(
        f"/v1/profiles/{profile['id']}", json={"name": "Mallory"}, headers=other.headers
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "forbidden"

    stale_delete = await api.client.delete(
        f"/v1/profiles/{profile['id']}", headers={**owner.headers, "If-Match": '"2"'}
    )
    assert stale_delete.status_code == 412
    missing = await api.client.get(
        "/v1/profiles/00000000-0000-0000-0000-000000000000", headers=owner.headers
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


async def test_concurrent_patches_with_the_same_if_match_let_one_win(api: Api) -> None:
    owner = await api.user()
    profile = await create_profile(api, owner)

    async def patch(text: str) -> int:
        response = await api.client.patch(
            f"/v1/profiles/{profile['id']}",
            json={"description": text},
            headers={**owner.headers, "If-Match": '"1"'},
        )
        return response.status_code

    statuses = sorted(await asyncio.gather(patch("a"), patch("b")))
    assert statuses == [200, 412]


async def test_private_profile_shows_only_a_summary_to_non_followers(api: Api) -> None:
    owner = await api.user()
    stranger = await api.user()
    follower = await api.user()
    profile = await create_profile(
        api, owner, name="Secret Agent", team_name="MI6", private=True, email="007@example.com"
    )

    summary = await api.client.get(f"/v1/profiles/{profile['id']}", headers=stranger.headers)
    assert summary.status_code == 200
    assert summary.json() == {
        "id": profile["id"],
        "name": "Secret Agent",
        "image_url": None,
        "private": True,
    }
    assert "etag" not in summary.headers
    assert "MI6" not in summary.text
    assert "007@" not in summary.text

    follower_me = await first_profile_id(api, follower)
    requested = await relate(api, follower, follower_me, profile["id"], "follow")
    assert requested.json()["status"] == "follow_requested"
    still_summary = await api.client.get(f"/v1/profiles/{profile['id']}", headers=follower.headers)
    assert set(still_summary.json()) == SUMMARY_PROFILE_FIELDS

    accepted = await api.client.post(
        f"/v1/profiles/{profile['id']}/followers/{follower_me}/accept", headers=owner.headers
    )
    assert accepted.status_code == 204
    full = await api.client.get(f"/v1/profiles/{profile['id']}", headers=follower.headers)
    assert set(full.json()) == FULL_PROFILE_FIELDS
    assert full.json()["team_name"] == "MI6"


async def test_search_by_name_or_team_respects_privacy_blocks_and_hides(api: Api) -> None:
    searcher = await api.user()
    owner = await api.user()
    me = await first_profile_id(api, searcher)
    public = await create_profile(api, owner, name="Zanzibar Public", team_name="Quokka Team")
    private = await create_profile(
        api, owner, name="Zanzibar Private", team_name="Quokka", private=True
    )
    hidden = await create_profile(api, owner, name="Zanzibar Hidden")
    await relate(api, searcher, me, hidden["id"], "hide")

    async def search(q: str) -> dict[str, dict[str, Any]]:
        response = await api.client.get(
            "/v1/profiles/search", params={"q": q}, headers=searcher.headers
        )
        assert response.status_code == 200, response.text
        return {item["id"]: item for item in response.json()["items"]}

    by_name = await search("zanzibar")
    assert set(by_name) == {public["id"], private["id"]}
    assert set(by_name[private["id"]]) == SUMMARY_PROFILE_FIELDS
    # A private profile's team is hidden from non-followers, so it does not match either.
    assert set(await search("quokka")) == {public["id"]}
    # LIKE wildcards are literal.
    assert await search("%%") == {}

    too_short = await api.client.get(
        "/v1/profiles/search", params={"q": "z"}, headers=searcher.headers
    )
    assert too_short.status_code == 422

    owner_me = await first_profile_id(api, owner)
    await relate(api, owner, public["id"], me, "block")
    assert set(await search("zanzibar")) == {private["id"]}
    assert owner_me  # the blocker's other profiles stay visible


async def test_delete_profile_removes_its_cards_relations_and_subscriptions(api: Api) -> None:
    owner = await api.user()
    fan = await api.user()
    fan_me = await first_profile_id(api, fan)
    profile = await create_profile(api, owner)
    card = await create_card(api, owner, profile["id"])
    link = await share(api, owner, card["id"])
    await relate(api, fan, fan_me, profile["id"], "follow")
    subscribed = await api.client.put(
        f"/v1/profiles/{fan_me}/subscriptions/{card['id']}", headers=fan.headers
    )
    assert subscribed.status_code == 201

    deleted = await api.client.delete(
        f"/v1/profiles/{profile['id']}", headers={**owner.headers, "If-Match": '"1"'}
    )
    assert deleted.status_code == 204

    for user in (owner, fan):
        assert (
            await api.client.get(f"/v1/profiles/{profile['id']}", headers=user.headers)
        ).status_code == 404
        assert (
            await api.client.get(f"/v1/cards/{card['id']}", headers=user.headers)
        ).status_code == 404
    wallet = await api.client.get(f"/v1/profiles/{fan_me}/subscriptions", headers=fan.headers)
    assert wallet.json()["items"] == []
    relations = await api.client.get(f"/v1/profiles/{fan_me}/relations", headers=fan.headers)
    assert relations.json()["items"] == []
    assert (await api.client.get(f"/c/{link['token']}")).status_code == 404
    mine = await api.client.get("/v1/profiles", headers=owner.headers)
    assert profile["id"] not in {item["id"] for item in mine.json()["items"]}
    again = await api.client.delete(f"/v1/profiles/{profile['id']}", headers=owner.headers)
    assert again.status_code == 404

    # Both users were told through the change log.
    async with api.backends.database.transaction() as session:
        entries = (
            await session.execute(
                select(Change.user_id, Change.entity, Change.entity_id).where(
                    Change.entity_id == profile["id"]
                )
            )
        ).all()
    told = {str(row.user_id) for row in entries if row.entity == "profile"}
    assert {owner.id, fan.id} <= told


async def test_profiles_of_a_deactivated_user_disappear(api: Api) -> None:
    leaver = await api.user()
    viewer = await api.user()
    profile = await create_profile(api, leaver, name="Leaving Soon")
    assert (
        await api.client.get(f"/v1/profiles/{profile['id']}", headers=viewer.headers)
    ).status_code == 200
    response = await api.client.request(
        "DELETE", "/v1/me", json={"password": leaver.password}, headers=leaver.headers
    )
    assert response.status_code == 204
    assert (
        await api.client.get(f"/v1/profiles/{profile['id']}", headers=viewer.headers)
    ).status_code == 404
    found = await api.client.get(
        "/v1/profiles/search", params={"q": "Leaving"}, headers=viewer.headers
    )
    assert found.json()["items"] == []


async def test_profile_image_upload_replaces_and_serves_the_image(api: Api) -> None:
    owner = await api.user()
    viewer = await api.user()
    profile = await create_profile(api, owner, private=True)

    photo = image_bytes("JPEG", exif=camera_exif("SecretCam 3000"))
    assert b"SecretCam" in photo
    uploaded = await api.client.put(
        f"/v1/profiles/{profile['id']}/image",
        files=multipart(photo),
        headers={**owner.headers, "If-Match": '"1"'},
    )
    assert uploaded.status_code == 200, uploaded.text
    body = uploaded.json()
    assert body["version"] == 2
    image_url = body["image_url"]
    assert image_url.startswith("https://bca.test/v1/files/")
    path = image_url.removeprefix("https://bca.test")

    # A private profile's image is part of its summary: visible to everyone who sees it.
    summary = await api.client.get(f"/v1/profiles/{profile['id']}", headers=viewer.headers)
    assert summary.json()["image_url"] == image_url
    fetched = await api.client.get(path, headers=viewer.headers)
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/jpeg"
    assert b"SecretCam" not in fetched.content

    forbidden = await api.client.put(
        f"/v1/profiles/{profile['id']}/image",
        files=multipart(image_bytes()),
        headers=viewer.headers,
    )
    assert forbidden.status_code == 403

    replaced = await api.client.put(
        f"/v1/profiles/{profile['id']}/image", files=multipart(image_bytes()), headers=owner.headers
    )
    assert replaced.status_code == 200
    assert replaced.json()["image_url"] != image_url
    # The replaced image is gone for everyone.
    assert (await api.client.get(path, headers=owner.headers)).status_code == 404

    not_image = await api.client.put(
        f"/v1/profiles/{profile['id']}/image",
        files=multipart(b"just some text, not a picture", "face.png"),
        headers=owner.headers,
    )
    assert not_image.status_code == 415
    assert not_image.json()["code"] == "unsupported_media_type"

    stale = await api.client.put(
        f"/v1/profiles/{profile['id']}/image",
        files=multipart(image_bytes()),
        headers={**owner.headers, "If-Match": '"1"'},
    )
    assert stale.status_code == 412
