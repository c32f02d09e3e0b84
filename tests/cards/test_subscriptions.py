"""The card wallet: subscribe, unsubscribe, list with current versions, subscribers."""

from __future__ import annotations

from typing import Any

from tests.factories.accounts import Api, TestUser
from tests.factories.cards import create_card, create_profile, first_profile_id, relate, share


async def wallet(api: Api, user: TestUser, me: str) -> dict[str, dict[str, Any]]:
    response = await api.client.get(f"/v1/profiles/{me}/subscriptions", headers=user.headers)
    assert response.status_code == 200, response.text
    return {item["card"]["id"]: item for item in response.json()["items"]}


async def test_subscribe_201_then_200_and_list_shows_the_current_version(api: Api) -> None:
    owner = await api.user()
    holder = await api.user()
    me = await first_profile_id(api, holder)
    card = await create_card(api, owner, data={"given_name": "Linus"})

    first = await api.client.put(
        f"/v1/profiles/{me}/subscriptions/{card['id']}", headers=holder.headers
    )
    assert first.status_code == 201
    assert first.json()["card"]["id"] == card["id"]
    assert first.json()["subscribed_at"].endswith("Z")
    second = await api.client.put(
        f"/v1/profiles/{me}/subscriptions/{card['id']}", headers=holder.headers
    )
    assert second.status_code == 200
    assert second.json()["subscribed_at"] == first.json()["subscribed_at"]

    await api.client.patch(
        f"/v1/cards/{card['id']}",
        json={"data": {"given_name": "Linus", "title": "BDFL"}},
        headers=owner.headers,
    )
    held = await wallet(api, holder, me)
    assert held[card["id"]]["card"]["version"] == 2
    assert held[card["id"]]["card"]["data"]["title"] == "BDFL"

    subscribers = await api.client.get(f"/v1/cards/{card['id']}/subscribers", headers=owner.headers)
    assert subscribers.status_code == 200
    assert [item["profile_id"] for item in subscribers.json()["items"]] == [me]
    not_owner = await api.client.get(f"/v1/cards/{card['id']}/subscribers", headers=holder.headers)
    assert not_owner.status_code == 403
    assert not_owner.json()["code"] == "forbidden"

    removed = await api.client.delete(
        f"/v1/profiles/{me}/subscriptions/{card['id']}", headers=holder.headers
    )
    assert removed.status_code == 204
    again = await api.client.delete(
        f"/v1/profiles/{me}/subscriptions/{card['id']}", headers=holder.headers
    )
    assert again.status_code == 404
    assert await wallet(api, holder, me) == {}


async def test_private_card_needs_a_valid_share_token(api: Api) -> None:
    owner = await api.user()
    holder = await api.user()
    me = await first_profile_id(api, holder)
    card = await create_card(api, owner, private=True)
    other = await create_card(api, owner)

    url = f"/v1/profiles/{me}/subscriptions/{card['id']}"
    assert (await api.client.put(url, headers=holder.headers)).status_code == 404
    assert (
        await api.client.put(url, params={"share_token": "nope"}, headers=holder.headers)
    ).status_code == 404
    link = await share(api, owner, card["id"])
    other_link = await share(api, owner, other["id"])
    # A token opens only its own card.
    wrong = await api.client.put(
        url, params={"share_token": other_link["token"]}, headers=holder.headers
    )
    assert wrong.status_code == 404
    ok = await api.client.put(url, params={"share_token": link["token"]}, headers=holder.headers)
    assert ok.status_code == 201
    assert ok.json()["card"]["private"] is True

    # Revoking the link does not take the card back from those who hold it.
    await api.client.delete(f"/v1/cards/{card['id']}/share", headers=owner.headers)
    assert card["id"] in await wallet(api, holder, me)
    assert (
        await api.client.get(f"/v1/cards/{card['id']}", headers=holder.headers)
    ).status_code == 200


async def test_privatising_keeps_only_entries_made_by_share_link(api: Api) -> None:
    owner = await api.user()
    by_link = await api.user()
    by_sight = await api.user()
    link_me = await first_profile_id(api, by_link)
    sight_me = await first_profile_id(api, by_sight)
    card = await create_card(api, owner)
    link = await share(api, owner, card["id"])
    await api.client.put(
        f"/v1/profiles/{link_me}/subscriptions/{card['id']}",
        params={"share_token": link["token"]},
        headers=by_link.headers,
    )
    await api.client.put(
        f"/v1/profiles/{sight_me}/subscriptions/{card['id']}", headers=by_sight.headers
    )

    privatised = await api.client.patch(
        f"/v1/cards/{card['id']}", json={"private": True}, headers=owner.headers
    )
    assert privatised.status_code == 200

    assert card["id"] in await wallet(api, by_link, link_me)
    assert await wallet(api, by_sight, sight_me) == {}
    assert (
        await api.client.get(f"/v1/cards/{card['id']}", headers=by_sight.headers)
    ).status_code == 404
    subscribers = await api.client.get(f"/v1/cards/{card['id']}/subscribers", headers=owner.headers)
    assert [item["profile_id"] for item in subscribers.json()["items"]] == [link_me]


async def test_deleted_card_leaves_every_wallet(api: Api) -> None:
    owner = await api.user()
    holder = await api.user()
    me = await first_profile_id(api, holder)
    card = await create_card(api, owner)
    await api.client.put(f"/v1/profiles/{me}/subscriptions/{card['id']}", headers=holder.headers)
    assert (
        await api.client.delete(f"/v1/cards/{card['id']}", headers=owner.headers)
    ).status_code == 204
    assert await wallet(api, holder, me) == {}
    gone = await api.client.put(
        f"/v1/profiles/{me}/subscriptions/{card['id']}", headers=holder.headers
    )
    assert gone.status_code == 404


async def test_wallet_acts_only_as_my_own_profiles(api: Api) -> None:
    owner = await api.user()
    holder = await api.user()
    card = await create_card(api, owner)
    owner_me = await first_profile_id(api, owner)
    for method in ("PUT", "DELETE"):
        response = await api.client.request(
            method, f"/v1/profiles/{owner_me}/subscriptions/{card['id']}", headers=holder.headers
        )
        assert response.status_code == 404, method
    listing = await api.client.get(f"/v1/profiles/{owner_me}/subscriptions", headers=holder.headers)
    assert listing.status_code == 404


async def test_blocked_profiles_cards_vanish_from_wallet_of_all_my_personas(api: Api) -> None:
    owner = await api.user()
    holder = await api.user()
    me = await first_profile_id(api, holder)
    other_me = (await create_profile(api, holder))["id"]
    card = await create_card(api, owner)
    owner_me = await first_profile_id(api, owner)
    for profile_id in (me, other_me):
        await api.client.put(
            f"/v1/profiles/{profile_id}/subscriptions/{card['id']}", headers=holder.headers
        )

    await relate(api, owner, owner_me, me, "block")
    assert await wallet(api, holder, me) == {}
    # The other persona's entry is hidden too: the block is against the holder.
    assert await wallet(api, holder, other_me) == {}
    again = await api.client.put(
        f"/v1/profiles/{other_me}/subscriptions/{card['id']}", headers=holder.headers
    )
    assert again.status_code == 404
    # The blocked persona's entry is gone; the owner still sees the persona it did not block.
    subscribers = await api.client.get(f"/v1/cards/{card['id']}/subscribers", headers=owner.headers)
    assert [item["profile_id"] for item in subscribers.json()["items"]] == [other_me]


async def test_wallet_paginates(api: Api) -> None:
    owner = await api.user()
    holder = await api.user()
    me = await first_profile_id(api, holder)
    card_ids = [(await create_card(api, owner))["id"] for _ in range(3)]
    for card_id in card_ids:
        await api.client.put(f"/v1/profiles/{me}/subscriptions/{card_id}", headers=holder.headers)
    first = (
        await api.client.get(f"/v1/profiles/{me}/subscriptions?limit=2", headers=holder.headers)
    ).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    rest = (
        await api.client.get(
            f"/v1/profiles/{me}/subscriptions?limit=2&cursor={first['next_cursor']}",
            headers=holder.headers,
        )
    ).json()
    assert rest["next_cursor"] is None
    assert {item["card"]["id"] for item in first["items"] + rest["items"]} == set(card_ids)
