"""Cards: CRUD and versioning, visibility, vCard 4.0 export, QR codes, share links, card page."""

from __future__ import annotations

import io
import re

import vobject
import zxingcpp
from PIL import Image

from tests.factories.accounts import Api, TestUser
from tests.factories.cards import (
    create_card,
    create_profile,
    first_profile_id,
    image_bytes,
    multipart,
    relate,
    share,
)

CARD_FIELDS = {
    "id",
    "profile_id",
    "name",
    "data",
    "preview_url",
    "private",
    "version",
    "created_at",
    "updated_at",
    "verified",
}

ADA = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "additional_names": ["Augusta", "King"],
    "honorific_prefix": "Countess",
    "title": "Analyst; first programmer",
    "organization": "Analytical Engines, Ltd.",
    "department": "R&D",
    "emails": [
        {"value": "ada@example.com", "type": "work"},
        {"value": "ada.home@example.org", "type": "home"},
    ],
    "phones": [
        {"value": "+44 20 7946 0000", "type": "mobile"},
        {"value": "+44 20 7946 0001", "type": "fax"},
    ],
    "urls": ["https://example.com/ada", {"value": "example.org", "type": "blog"}],
    "address": {"street": "12 St James's Square", "locality": "London", "country": "UK"},
    # Long enough to fold, with three-octet characters that a fold must not cut in half.
    "note": "Line one,\nline two; with a backslash \\ and ünïcödé ✓. " + "Long ✓✓✓ " * 30 + "end",
    "favourite_engine": "difference",
}


async def test_create_get_patch_delete_card_with_versions(api: Api) -> None:
    owner = await api.user()
    me = await first_profile_id(api, owner)
    created = await api.client.post(
        f"/v1/profiles/{me}/cards", json={"name": "Work", "data": ADA}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    card = created.json()
    assert set(card) == CARD_FIELDS
    assert card["version"] == 1
    assert card["data"] == ADA
    assert card["preview_url"] is None
    assert created.headers["etag"] == '"1"'

    got = await api.client.get(f"/v1/cards/{card['id']}", headers=owner.headers)
    assert got.json() == card
    assert got.headers["etag"] == '"1"'

    renamed = await api.client.patch(
        f"/v1/cards/{card['id']}",
        json={"name": "Office"},
        headers={**owner.headers, "If-Match": '"1"'},
    )
    assert renamed.json()["version"] == 2
    new_data = await api.client.patch(
        f"/v1/cards/{card['id']}", json={"data": {"given_name": "Ada"}}, headers=owner.headers
    )
    assert new_data.json()["version"] == 3
    assert new_data.json()["data"] == {"given_name": "Ada"}
    unchanged = await api.client.patch(
        f"/v1/cards/{card['id']}", json={"data": {"given_name": "Ada"}}, headers=owner.headers
    )
    assert unchanged.json()["version"] == 3
    stale = await api.client.patch(
        f"/v1/cards/{card['id']}", json={"name": "X"}, headers={**owner.headers, "If-Match": '"2"'}
    )
    assert stale.status_code == 412

    listed = await api.client.get(f"/v1/profiles/{me}/cards", headers=owner.headers)
    assert [item["id"] for item in listed.json()["items"]] == [card["id"]]

    stale_delete = await api.client.delete(
        f"/v1/cards/{card['id']}", headers={**owner.headers, "If-Match": '"1"'}
    )
    assert stale_delete.status_code == 412
    deleted = await api.client.delete(
        f"/v1/cards/{card['id']}", headers={**owner.headers, "If-Match": '"3"'}
    )
    assert deleted.status_code == 204
    assert (
        await api.client.get(f"/v1/cards/{card['id']}", headers=owner.headers)
    ).status_code == 404
    assert (await api.client.get(f"/v1/profiles/{me}/cards", headers=owner.headers)).json()[
        "items"
    ] == []


async def test_card_input_is_validated(api: Api) -> None:
    owner = await api.user()
    me = await first_profile_id(api, owner)
    for body in (
        {},
        {"name": ""},
        {"name": "x", "extra": True},
        {"name": "x", "data": {"emails": "ada@example.com"}},
        {"name": "x", "data": {"emails": [{"type": "work"}]}},
        {"name": "x", "data": {"phones": [{"value": 12345}]}},
        {"name": "x", "data": {"address": "London"}},
        {"name": "x", "data": {"given_name": 7}},
        {"name": "x", "data": {"free": "y" * 20000}},
        {"name": "x", "data": []},
    ):
        response = await api.client.post(
            f"/v1/profiles/{me}/cards", json=body, headers=owner.headers
        )
        assert response.status_code == 422, body
    card = await create_card(api, owner, me)
    for patch in ({"name": None}, {"private": None}, {"data": None}, {"colour": "red"}):
        response = await api.client.patch(
            f"/v1/cards/{card['id']}", json=patch, headers=owner.headers
        )
        assert response.status_code == 422, patch


async def test_card_visibility_follows_the_profile_and_privacy(api: Api) -> None:
    owner = await api.user()
    stranger = await api.user()
    follower = await api.user()
    public_profile = await create_profile(api, owner)
    private_profile = await create_profile(api, owner, private=True)
    public_card = await create_card(api, owner, public_profile["id"])
    private_card = await create_card(api, owner, public_profile["id"], private=True)
    hidden_profile_card = await create_card(api, owner, private_profile["id"])

    async def visible_ids(user: TestUser, profile_id: str) -> set[str]:
        response = await api.client.get(f"/v1/profiles/{profile_id}/cards", headers=user.headers)
        assert response.status_code == 200
        return {item["id"] for item in response.json()["items"]}

    assert await visible_ids(owner, public_profile["id"]) == {public_card["id"], private_card["id"]}
    assert await visible_ids(stranger, public_profile["id"]) == {public_card["id"]}
    assert await visible_ids(stranger, private_profile["id"]) == set()
    assert (
        await api.client.get(f"/v1/cards/{private_card['id']}", headers=stranger.headers)
    ).status_code == 404
    assert (
        await api.client.get(f"/v1/cards/{hidden_profile_card['id']}", headers=stranger.headers)
    ).status_code == 404

    follower_me = await first_profile_id(api, follower)
    await relate(api, follower, follower_me, private_profile["id"], "follow")
    assert await visible_ids(follower, private_profile["id"]) == set()
    await api.client.post(
        f"/v1/profiles/{private_profile['id']}/followers/{follower_me}/accept",
        headers=owner.headers,
    )
    assert await visible_ids(follower, private_profile["id"]) == {hidden_profile_card["id"]}

    # A private card becomes visible to whoever holds it (by share link).
    link = await share(api, owner, private_card["id"])
    stranger_me = await first_profile_id(api, stranger)
    held = await api.client.put(
        f"/v1/profiles/{stranger_me}/subscriptions/{private_card['id']}",
        params={"share_token": link["token"]},
        headers=stranger.headers,
    )
    assert held.status_code == 201
    assert (
        await api.client.get(f"/v1/cards/{private_card['id']}", headers=stranger.headers)
    ).status_code == 200
    assert await visible_ids(stranger, public_profile["id"]) == {
        public_card["id"],
        private_card["id"],
    }

    missing = await api.client.get(
        "/v1/profiles/00000000-0000-0000-0000-000000000000/cards", headers=stranger.headers
    )
    assert missing.status_code == 404
    not_mine = await api.client.post(
        f"/v1/profiles/{public_profile['id']}/cards",
        json={"name": "Hijack"},
        headers=stranger.headers,
    )
    assert not_mine.status_code == 404


async def test_vcard_is_version_4_and_round_trips_through_vobject(api: Api) -> None:
    owner = await api.user()
    viewer = await api.user()
    card = await create_card(api, owner, data=ADA)

    response = await api.client.get(f"/v1/cards/{card['id']}/vcard", headers=viewer.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/vcard; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")
    raw = response.content
    text = raw.decode("utf-8")

    # RFC 6350 framing: CRLF line ends, 4.0, no content line over 75 octets.
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert text.endswith("END:VCARD\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert any(line.startswith(b" ") for line in raw.split(b"\r\n")), "the long NOTE is folded"
    unfolded = text.replace("\r\n ", "")
    assert "ORG:Analytical Engines\\, Ltd.;R&D\r\n" in unfolded
    assert "TITLE:Analyst\\; first programmer\r\n" in unfolded
    assert "N:Lovelace;Ada;Augusta,King;Countess;\r\n" in unfolded
    assert "TEL;VALUE=text;TYPE=cell:+44 20 7946 0000\r\n" in unfolded
    assert "URL:https://example.org\r\n" in unfolded
    assert "NOTE:Line one\\,\\nline two\\; with a backslash \\\\ and ünïcödé ✓." in unfolded

    parsed = vobject.readOne(text)
    assert parsed.version.value == "4.0"
    assert parsed.fn.value == "Countess Ada Augusta King Lovelace"
    assert parsed.n.value.family == "Lovelace"
    assert parsed.n.value.given == "Ada"
    assert parsed.org.value == ["Analytical Engines, Ltd.", "R&D"]
    assert parsed.title.value == "Analyst; first programmer"
    assert [(e.value, e.params.get("TYPE")) for e in parsed.email_list] == [
        ("ada@example.com", ["work"]),
        ("ada.home@example.org", ["home"]),
    ]
    assert [t.value for t in parsed.tel_list] == ["+44 20 7946 0000", "+44 20 7946 0001"]
    assert parsed.note.value == ADA["note"]
    assert parsed.adr.value.street == "12 St James's Square"
    assert parsed.adr.value.city == "London"


async def test_vcard_of_a_minimal_card_uses_the_card_name(api: Api) -> None:
    owner = await api.user()
    card = await create_card(api, owner, name="Front desk", data={"organization": "Acme"})
    text = (await api.client.get(f"/v1/cards/{card['id']}/vcard", headers=owner.headers)).text
    parsed = vobject.readOne(text)
    assert parsed.fn.value == "Acme"
    assert "KIND:org\r\n" in text
    bare = await create_card(api, owner, name="Nameless")
    parsed = vobject.readOne(
        (await api.client.get(f"/v1/cards/{bare['id']}/vcard", headers=owner.headers)).text
    )
    assert parsed.fn.value == "Nameless"


async def test_share_link_qr_and_revocation(api: Api) -> None:
    owner = await api.user()
    viewer = await api.user()
    card = await create_card(api, owner, data={"given_name": "Grace", "family_name": "Hopper"})

    no_link = await api.client.get(f"/v1/cards/{card['id']}/qr", headers=viewer.headers)
    assert no_link.status_code == 404, "only the owner's request creates a link"

    link = await share(api, owner, card["id"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", link["token"])
    assert link["url"] == f"https://bca.test/c/{link['token']}"
    assert await share(api, owner, card["id"]) == link, "one live link per card"
    not_owner = await api.client.post(f"/v1/cards/{card['id']}/share", headers=viewer.headers)
    assert not_owner.status_code == 403

    for user in (owner, viewer):
        png = await api.client.get(f"/v1/cards/{card['id']}/qr", headers=user.headers)
        assert png.status_code == 200
        assert png.headers["content-type"] == "image/png"
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
        assert [result.text for result in decoded] == [link["url"]]
    svg = await api.client.get(f"/v1/cards/{card['id']}/qr?format=svg", headers=viewer.headers)
    assert svg.status_code == 200
    assert svg.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    bad_format = await api.client.get(
        f"/v1/cards/{card['id']}/qr?format=gif", headers=owner.headers
    )
    assert bad_format.status_code == 422

    page = await api.client.get(f"/c/{link['token']}")
    assert page.status_code == 200
    vcf = await api.client.get(f"/c/{link['token']}.vcf")
    assert vcf.status_code == 200
    assert vobject.readOne(vcf.text).n.value.family == "Hopper"
    assert f"SOURCE:{link['url']}.vcf" in vcf.text.replace("\r\n ", "")

    not_owner_revoke = await api.client.delete(
        f"/v1/cards/{card['id']}/share", headers=viewer.headers
    )
    assert not_owner_revoke.status_code == 403
    revoked = await api.client.delete(f"/v1/cards/{card['id']}/share", headers=owner.headers)
    assert revoked.status_code == 204
    assert (await api.client.get(f"/c/{link['token']}")).status_code == 404
    assert (await api.client.get(f"/c/{link['token']}.vcf")).status_code == 404
    assert (
        await api.client.get(f"/v1/cards/{card['id']}/qr", headers=viewer.headers)
    ).status_code == 404
    fresh = await share(api, owner, card["id"])
    assert fresh["token"] != link["token"]


async def test_the_owner_asking_for_a_qr_code_gets_a_link_created(api: Api) -> None:
    owner = await api.user()
    card = await create_card(api, owner, data={"given_name": "Ada"})
    png = await api.client.get(f"/v1/cards/{card['id']}/qr", headers=owner.headers)
    assert png.status_code == 200
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    link = await share(api, owner, card["id"])
    assert decoded.text == link["url"], "the QR code's link is the card's one live link"
    assert (await api.client.get(f"/c/{link['token']}")).status_code == 200
    again = await api.client.get(f"/v1/cards/{card['id']}/qr?format=svg", headers=owner.headers)
    assert again.status_code == 200
    assert await share(api, owner, card["id"]) == link, "no second link"


async def test_public_page_escapes_card_data_and_carries_open_graph_tags(api: Api) -> None:
    owner = await api.user()
    evil = '<script>alert("x")</script>'
    card = await create_card(
        api,
        owner,
        data={
            "given_name": evil,
            "organization": "Tom & Jerry <Ltd>",
            "title": "CEO",
            "urls": ["javascript:alert(1)", "https://example.com/?a=1&b=2"],
            "emails": [{"value": "x@example.com", "type": "work"}],
        },
    )
    link = await share(api, owner, card["id"])
    page = await api.client.get(f"/c/{link['token']}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "Tom &amp; Jerry &lt;Ltd&gt;" in html
    assert 'href="javascript:' not in html
    assert 'href="https://example.com/?a=1&amp;b=2"' in html
    assert f'<meta property="og:url" content="{link["url"]}">' in html
    assert 'property="og:title"' in html
    assert 'property="og:description"' in html
    assert 'property="og:image"' not in html
    assert f'href="/c/{link["token"]}.vcf"' in html
    # The way into the app (its share-link route adds the card to the wallet).
    assert f'id="open-app" href="/app/c/{link["token"]}"' in html
    # Its own icon (else browsers ask for /favicon.ico, a 404 in the console).
    assert '<link rel="icon" type="image/png" href="/app/icons/favicon.png">' in html
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"

    missing = await api.client.get("/c/no-such-token")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert 'rel="icon"' in missing.text
    assert (await api.client.get("/c/no-such-token.vcf")).status_code == 404
    assert (await api.client.get("/c/no-such-token/preview")).status_code == 404


async def test_preview_upload_shows_on_the_page_and_as_og_image(api: Api) -> None:
    owner = await api.user()
    stranger = await api.user()
    card = await create_card(api, owner, data={"given_name": "Pic"})
    no_preview_link = await share(api, owner, card["id"])
    assert (await api.client.get(f"/c/{no_preview_link['token']}/preview")).status_code == 404

    forbidden = await api.client.put(
        f"/v1/cards/{card['id']}/preview", files=multipart(image_bytes()), headers=stranger.headers
    )
    assert forbidden.status_code == 403
    uploaded = await api.client.put(
        f"/v1/cards/{card['id']}/preview",
        files=multipart(image_bytes("WEBP", size=(64, 32))),
        headers={**owner.headers, "If-Match": '"1"'},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["version"] == 2
    preview_url = uploaded.json()["preview_url"]
    fetched = await api.client.get(
        preview_url.removeprefix("https://bca.test"), headers=stranger.headers
    )
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/webp"

    html = (await api.client.get(f"/c/{no_preview_link['token']}")).text
    assert f'<meta property="og:image" content="{no_preview_link["url"]}/preview">' in html
    public = await api.client.get(f"/c/{no_preview_link['token']}/preview")
    assert public.status_code == 200
    assert Image.open(io.BytesIO(public.content)).size == (64, 32)

    await api.client.delete(f"/v1/cards/{card['id']}", headers=owner.headers)
    assert (await api.client.get(f"/c/{no_preview_link['token']}/preview")).status_code == 404
    assert (
        await api.client.get(preview_url.removeprefix("https://bca.test"), headers=stranger.headers)
    ).status_code == 404
