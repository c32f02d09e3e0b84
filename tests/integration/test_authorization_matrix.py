"""Who may do what: every endpoint of profiles, relations, cards, wallet and files, called by
a second user and by a user the owner blocked.

404 for what the caller may not see, 403 for what they see but may not change, and never a
private field of someone else in any response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.factories.accounts import Api
from tests.factories.cards import (
    create_card,
    create_profile,
    first_profile_id,
    image_bytes,
    multipart,
    relate,
    share,
)

SECRETS = ("SECRET-TEAM", "secret-mail@example.com", "+99 SECRET", "SECRET-CARD-DATA", "SECRET-SNS")


@dataclass
class Call:
    method: str
    path: str
    stranger: int
    blocked: int
    json: Any = None
    upload: bool = False


async def test_authorization_matrix(api: Api) -> None:
    owner = await api.user()
    stranger = await api.user()
    blocked = await api.user()

    public = await create_profile(api, owner, name="Owner Public")
    private = await create_profile(
        api,
        owner,
        name="Owner Private",
        team_name="SECRET-TEAM",
        email="secret-mail@example.com",
        phone="+99 SECRET",
        sns={"x": "SECRET-SNS"},
        private=True,
    )
    card = await create_card(api, owner, public["id"], data={"given_name": "Open"})
    secret_card = await create_card(
        api, owner, public["id"], private=True, data={"note": "SECRET-CARD-DATA"}
    )
    private_profile_card = await create_card(
        api, owner, private["id"], data={"note": "SECRET-CARD-DATA"}
    )
    await share(api, owner, card["id"])
    await share(api, owner, secret_card["id"])
    image = await api.client.put(
        f"/v1/profiles/{public['id']}/image", files=multipart(image_bytes()), headers=owner.headers
    )
    image_path = image.json()["image_url"].removeprefix("https://bca.test")
    upload = await api.client.post(
        "/v1/files", files=multipart(b"SECRET-CARD-DATA\n", "s.txt"), headers=owner.headers
    )
    upload_id = upload.json()["id"]

    stranger_me = await first_profile_id(api, stranger)
    blocked_me = await first_profile_id(api, blocked)
    # A pending request, so that accept/reject by others have something to refuse.
    await relate(api, stranger, stranger_me, private["id"], "follow")
    for profile in (public, private):
        assert (await relate(api, owner, profile["id"], blocked_me, "block")).status_code == 200

    P, PP = public["id"], private["id"]
    C, SC, PC = card["id"], secret_card["id"], private_profile_card["id"]
    S = stranger_me
    calls = [
        # profiles
        Call("GET", f"/v1/profiles/{P}", 200, 404),
        Call("GET", f"/v1/profiles/{PP}", 200, 404),
        Call("PATCH", f"/v1/profiles/{P}", 403, 404, json={"name": "Hijacked"}),
        Call("PATCH", f"/v1/profiles/{PP}", 403, 404, json={"name": "Hijacked"}),
        Call("DELETE", f"/v1/profiles/{P}", 403, 404),
        Call("DELETE", f"/v1/profiles/{PP}", 403, 404),
        Call("PUT", f"/v1/profiles/{P}/image", 403, 404, upload=True),
        # acting as someone else's profile
        Call("PUT", f"/v1/profiles/{P}/relations/{S}", 404, 404, json={"status": "follow"}),
        Call("DELETE", f"/v1/profiles/{P}/relations/{blocked_me}", 404, 404),
        Call("GET", f"/v1/profiles/{P}/relations", 404, 404),
        Call("GET", f"/v1/profiles/{PP}/followers", 404, 404),
        Call("POST", f"/v1/profiles/{PP}/followers/{S}/accept", 404, 404),
        Call("POST", f"/v1/profiles/{PP}/followers/{S}/reject", 404, 404),
        Call("POST", f"/v1/profiles/{P}/cards", 404, 404, json={"name": "Planted"}),
        Call("PUT", f"/v1/profiles/{P}/subscriptions/{C}", 404, 404),
        Call("DELETE", f"/v1/profiles/{P}/subscriptions/{C}", 404, 404),
        Call("GET", f"/v1/profiles/{P}/subscriptions", 404, 404),
        # card lists
        Call("GET", f"/v1/profiles/{P}/cards", 200, 404),
        Call("GET", f"/v1/profiles/{PP}/cards", 200, 404),
        # a card they see
        Call("GET", f"/v1/cards/{C}", 200, 404),
        Call("PATCH", f"/v1/cards/{C}", 403, 404, json={"name": "Hijacked"}),
        Call("DELETE", f"/v1/cards/{C}", 403, 404),
        Call("PUT", f"/v1/cards/{C}/preview", 403, 404, upload=True),
        Call("GET", f"/v1/cards/{C}/vcard", 200, 404),
        Call("GET", f"/v1/cards/{C}/qr", 200, 404),
        Call("POST", f"/v1/cards/{C}/share", 403, 404),
        Call("DELETE", f"/v1/cards/{C}/share", 403, 404),
        Call("GET", f"/v1/cards/{C}/subscribers", 403, 404),
        # cards they may not see: a private card, a card of a private profile
        *(
            call
            for hidden in (SC, PC)
            for call in (
                Call("GET", f"/v1/cards/{hidden}", 404, 404),
                Call("PATCH", f"/v1/cards/{hidden}", 404, 404, json={"name": "Hijacked"}),
                Call("DELETE", f"/v1/cards/{hidden}", 404, 404),
                Call("PUT", f"/v1/cards/{hidden}/preview", 404, 404, upload=True),
                Call("GET", f"/v1/cards/{hidden}/vcard", 404, 404),
                Call("GET", f"/v1/cards/{hidden}/qr", 404, 404),
                Call("POST", f"/v1/cards/{hidden}/share", 404, 404),
                Call("DELETE", f"/v1/cards/{hidden}/share", 404, 404),
                Call("GET", f"/v1/cards/{hidden}/subscribers", 404, 404),
            )
        ),
        # files
        Call("GET", f"/v1/files/{upload_id}", 404, 404),
        Call("GET", image_path, 200, 404),
    ]

    for who, user in (("stranger", stranger), ("blocked", blocked)):
        for call in calls:
            expected = call.stranger if who == "stranger" else call.blocked
            kwargs: dict[str, Any] = {"headers": user.headers}
            if call.json is not None:
                kwargs["json"] = call.json
            if call.upload:
                kwargs["files"] = multipart(image_bytes())
            response = await api.client.request(call.method, call.path, **kwargs)
            assert response.status_code == expected, (who, call, response.text)
            if expected in (403, 404):
                assert response.json()["code"] == ("not_found" if expected == 404 else "forbidden")
            leaked = [secret for secret in SECRETS if secret.encode() in response.content]
            assert not leaked, (who, call, leaked)
            assert owner.email.encode() not in response.content

    # What the stranger sees of the private profile is its summary only.
    summary = await api.client.get(f"/v1/profiles/{PP}", headers=stranger.headers)
    assert set(summary.json()) == {"id", "name", "image_url", "private"}
    listed = await api.client.get(f"/v1/profiles/{P}/cards", headers=stranger.headers)
    assert [item["id"] for item in listed.json()["items"]] == [C]

    # The blocked user cannot relate to, subscribe to or find the owner's profiles.
    refused = await relate(api, blocked, blocked_me, P, "follow")
    assert refused.status_code == 403
    assert refused.json()["code"] == "blocked"
    subscribe = await api.client.put(
        f"/v1/profiles/{blocked_me}/subscriptions/{C}", headers=blocked.headers
    )
    assert subscribe.status_code == 404
    found = await api.client.get(
        "/v1/profiles/search", params={"q": "Owner"}, headers=blocked.headers
    )
    assert found.json()["items"] == []
    found = await api.client.get(
        "/v1/profiles/search", params={"q": "Owner"}, headers=stranger.headers
    )
    assert {item["id"] for item in found.json()["items"]} == {P, PP}
    assert not any(secret in found.text for secret in SECRETS)

    # Nothing the others tried changed anything.
    for profile_id, version in ((P, 2), (PP, 1)):
        mine = await api.client.get(f"/v1/profiles/{profile_id}", headers=owner.headers)
        assert mine.json()["version"] == version
    for card_id in (C, SC, PC):
        mine = await api.client.get(f"/v1/cards/{card_id}", headers=owner.headers)
        assert mine.json()["version"] == 1
    owned_cards = await api.client.get(f"/v1/profiles/{P}/cards", headers=owner.headers)
    assert len(owned_cards.json()["items"]) == 2
    pending = await api.client.get(f"/v1/profiles/{PP}/followers", headers=owner.headers)
    assert [item["status"] for item in pending.json()["items"]] == ["follow_requested"]
    assert (await api.client.get(f"/c/{(await share(api, owner, C))['token']}")).status_code == 200
