"""``GET /v1/shares/{token}``: the card behind a share link, for an app that scanned it."""

from __future__ import annotations

from tests.factories.accounts import Api
from tests.factories.cards import create_card, first_profile_id, relate, share


async def test_a_live_link_names_its_card_even_a_private_one_and_keeps_it(api: Api) -> None:
    owner, holder = await api.user(), await api.user()
    card = await create_card(api, owner, private=True, data={"given_name": "Grace"})
    link = await share(api, owner, card["id"])

    found = await api.client.get(f"/v1/shares/{link['token']}", headers=holder.headers)
    assert found.status_code == 200, found.text
    assert found.json()["id"] == card["id"]
    assert found.json()["data"] == {"given_name": "Grace"}
    assert found.headers["etag"] == '"1"'

    me = await first_profile_id(api, holder)
    kept = await api.client.put(
        f"/v1/profiles/{me}/subscriptions/{card['id']}",
        params={"share_token": link["token"]},
        headers=holder.headers,
    )
    assert kept.status_code == 201, kept.text


async def test_unknown_revoked_or_blocked_links_are_404_and_strangers_401(api: Api) -> None:
    owner, other = await api.user(), await api.user()
    card = await create_card(api, owner)
    link = await share(api, owner, card["id"])

    anonymous = await api.client.get(f"/v1/shares/{link['token']}")
    assert anonymous.status_code == 401
    for token in ("nope", "x" * 64):
        missing = await api.client.get(f"/v1/shares/{token}", headers=other.headers)
        assert missing.status_code == 404, token
        assert missing.json()["code"] == "not_found"
    too_long = await api.client.get(f"/v1/shares/{'x' * 65}", headers=other.headers)
    assert too_long.status_code == 422

    owner_profile = await first_profile_id(api, owner)
    other_profile = await first_profile_id(api, other)
    blocked = await relate(api, owner, owner_profile, other_profile, "block")
    assert blocked.status_code == 200, blocked.text
    hidden = await api.client.get(f"/v1/shares/{link['token']}", headers=other.headers)
    assert hidden.status_code == 404

    revoked = await api.client.delete(f"/v1/cards/{card['id']}/share", headers=owner.headers)
    assert revoked.status_code == 204
    gone = await api.client.get(f"/v1/shares/{link['token']}", headers=owner.headers)
    assert gone.status_code == 404
