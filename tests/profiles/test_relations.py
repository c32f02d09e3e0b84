"""Relations: follow, follow requests, hide, block, unfollow; acting only as my own profiles."""

from __future__ import annotations

from sqlalchemy import select

from bca.sync.models import Change
from tests.factories.accounts import Api
from tests.factories.cards import create_card, create_profile, first_profile_id, relate


async def test_follow_public_profile_and_unfollow(api: Api) -> None:
    alice = await api.user()
    bob = await api.user()
    a = await first_profile_id(api, alice)
    b = await first_profile_id(api, bob)

    followed = await relate(api, alice, a, b, "follow")
    assert followed.status_code == 200
    body = followed.json()
    assert body["profile_id"] == a
    assert body["target_id"] == b
    assert body["status"] == "follow"
    assert body["created_at"].endswith("Z")

    again = await relate(api, alice, a, b, "follow")
    assert again.status_code == 200

    mine = await api.client.get(f"/v1/profiles/{a}/relations", headers=alice.headers)
    assert [(item["target_id"], item["status"]) for item in mine.json()["items"]] == [(b, "follow")]
    followers = await api.client.get(f"/v1/profiles/{b}/followers", headers=bob.headers)
    assert [item["profile_id"] for item in followers.json()["items"]] == [a]

    removed = await api.client.delete(f"/v1/profiles/{a}/relations/{b}", headers=alice.headers)
    assert removed.status_code == 204
    gone = await api.client.delete(f"/v1/profiles/{a}/relations/{b}", headers=alice.headers)
    assert gone.status_code == 404
    followers = await api.client.get(f"/v1/profiles/{b}/followers", headers=bob.headers)
    assert followers.json()["items"] == []


async def test_follow_request_accept_and_reject(api: Api) -> None:
    owner = await api.user()
    fan = await api.user()
    other_fan = await api.user()
    private = await create_profile(api, owner, private=True)
    fan_me = await first_profile_id(api, fan)
    other_me = await first_profile_id(api, other_fan)

    assert (await relate(api, fan, fan_me, private["id"], "follow")).json()[
        "status"
    ] == "follow_requested"
    assert (await relate(api, other_fan, other_me, private["id"], "follow")).json()[
        "status"
    ] == "follow_requested"

    pending = await api.client.get(
        f"/v1/profiles/{private['id']}/followers?status=follow_requested", headers=owner.headers
    )
    assert {item["profile_id"] for item in pending.json()["items"]} == {fan_me, other_me}

    accept = await api.client.post(
        f"/v1/profiles/{private['id']}/followers/{fan_me}/accept", headers=owner.headers
    )
    assert accept.status_code == 204
    reject = await api.client.post(
        f"/v1/profiles/{private['id']}/followers/{other_me}/reject", headers=owner.headers
    )
    assert reject.status_code == 204
    # Nothing left to answer.
    for requester in (fan_me, other_me):
        for verb in ("accept", "reject"):
            again = await api.client.post(
                f"/v1/profiles/{private['id']}/followers/{requester}/{verb}", headers=owner.headers
            )
            assert again.status_code == 404

    followers = await api.client.get(
        f"/v1/profiles/{private['id']}/followers?status=follow", headers=owner.headers
    )
    assert [item["profile_id"] for item in followers.json()["items"]] == [fan_me]
    fan_view = await api.client.get(f"/v1/profiles/{fan_me}/relations", headers=fan.headers)
    assert fan_view.json()["items"][0]["status"] == "follow"
    # An accepted follower who follows again stays accepted.
    assert (await relate(api, fan, fan_me, private["id"], "follow")).json()["status"] == "follow"
    other_view = await api.client.get(
        f"/v1/profiles/{other_me}/relations", headers=other_fan.headers
    )
    assert other_view.json()["items"] == []

    # The requester cannot accept their own request.
    await relate(api, other_fan, other_me, private["id"], "follow")
    sneaky = await api.client.post(
        f"/v1/profiles/{private['id']}/followers/{other_me}/accept", headers=other_fan.headers
    )
    assert sneaky.status_code == 404


async def test_turning_public_grants_pending_requests(api: Api) -> None:
    owner = await api.user()
    fan = await api.user()
    private = await create_profile(api, owner, private=True)
    fan_me = await first_profile_id(api, fan)
    await relate(api, fan, fan_me, private["id"], "follow")
    opened = await api.client.patch(
        f"/v1/profiles/{private['id']}", json={"private": False}, headers=owner.headers
    )
    assert opened.status_code == 200
    relations = await api.client.get(f"/v1/profiles/{fan_me}/relations", headers=fan.headers)
    assert relations.json()["items"][0]["status"] == "follow"


async def test_relation_rules(api: Api) -> None:
    alice = await api.user()
    bob = await api.user()
    a = await first_profile_id(api, alice)
    b = await first_profile_id(api, bob)
    a2 = (await create_profile(api, alice))["id"]

    self_relation = await relate(api, alice, a, a, "follow")
    assert self_relation.status_code == 422
    own_other = await relate(api, alice, a, a2, "block")
    assert own_other.status_code == 422

    not_mine = await relate(api, alice, b, a, "follow")
    assert not_mine.status_code == 404
    listing_not_mine = await api.client.get(f"/v1/profiles/{b}/relations", headers=alice.headers)
    assert listing_not_mine.status_code == 404
    followers_not_mine = await api.client.get(f"/v1/profiles/{b}/followers", headers=alice.headers)
    assert followers_not_mine.status_code == 404

    bad_status = await relate(api, alice, a, b, "follow_requested")
    assert bad_status.status_code == 422
    unknown = await relate(api, alice, a, "00000000-0000-0000-0000-000000000000", "follow")
    assert unknown.status_code == 404
    bad_filter = await api.client.get(
        f"/v1/profiles/{a}/relations?status=love", headers=alice.headers
    )
    assert bad_filter.status_code == 422


async def test_block_removes_follows_and_hides_both_ways(api: Api) -> None:
    alice = await api.user()
    bob = await api.user()
    a = await first_profile_id(api, alice)
    b = await first_profile_id(api, bob)
    a_card = await create_card(api, alice, a)
    b_card = await create_card(api, bob, b)
    await relate(api, alice, a, b, "follow")
    await relate(api, bob, b, a, "follow")
    await api.client.put(f"/v1/profiles/{a}/subscriptions/{b_card['id']}", headers=alice.headers)
    await api.client.put(f"/v1/profiles/{b}/subscriptions/{a_card['id']}", headers=bob.headers)

    blocked = await relate(api, alice, a, b, "block")
    assert blocked.status_code == 200
    assert blocked.json()["status"] == "block"

    # Bob's follow of Alice is gone; Alice's own relation is now the block.
    assert (await api.client.get(f"/v1/profiles/{b}/relations", headers=bob.headers)).json()[
        "items"
    ] == []
    alice_relations = (
        await api.client.get(f"/v1/profiles/{a}/relations", headers=alice.headers)
    ).json()
    assert [(r["target_id"], r["status"]) for r in alice_relations["items"]] == [(b, "block")]
    # A block is nobody's business but the blocker's.
    assert (await api.client.get(f"/v1/profiles/{b}/followers", headers=bob.headers)).json()[
        "items"
    ] == []

    for viewer, profile_id, card_id in ((alice, b, b_card["id"]), (bob, a, a_card["id"])):
        assert (
            await api.client.get(f"/v1/profiles/{profile_id}", headers=viewer.headers)
        ).status_code == 404
        assert (
            await api.client.get(f"/v1/profiles/{profile_id}/cards", headers=viewer.headers)
        ).status_code == 404
        assert (
            await api.client.get(f"/v1/cards/{card_id}", headers=viewer.headers)
        ).status_code == 404
    for user, me in ((alice, a), (bob, b)):
        wallet = await api.client.get(f"/v1/profiles/{me}/subscriptions", headers=user.headers)
        assert wallet.json()["items"] == []

    # Bob may not follow back: Alice blocked him.
    refused = await relate(api, bob, b, a, "follow")
    assert refused.status_code == 403
    assert refused.json()["code"] == "blocked"
    # Nor from another of his profiles: the block is against him, not one persona.
    b2 = (await create_profile(api, bob))["id"]
    assert (await relate(api, bob, b2, a, "follow")).status_code == 403

    # Unblocking makes both visible again.
    assert (
        await api.client.delete(f"/v1/profiles/{a}/relations/{b}", headers=alice.headers)
    ).status_code == 204
    assert (await api.client.get(f"/v1/profiles/{a}", headers=bob.headers)).status_code == 200
    assert (await relate(api, bob, b, a, "follow")).status_code == 200

    async with api.backends.database.transaction() as session:
        keys = set(
            (
                await session.scalars(select(Change.entity_id).where(Change.entity == "relation"))
            ).all()
        )
    assert {f"{a}:{b}", f"{b}:{a}"} <= keys


async def test_blocking_with_one_persona_hides_the_target_from_all_of_mine(api: Api) -> None:
    alice = await api.user()
    bob = await api.user()
    a = await first_profile_id(api, alice)
    a2 = (await create_profile(api, alice))["id"]
    b = await first_profile_id(api, bob)
    await relate(api, alice, a, b, "block")
    assert (await api.client.get(f"/v1/profiles/{b}", headers=alice.headers)).status_code == 404
    # Acting as another persona does not get round it.
    assert (await relate(api, alice, a2, b, "follow")).status_code == 404
    # Bob still sees Alice's other persona, which did not block him...
    assert (await api.client.get(f"/v1/profiles/{a2}", headers=bob.headers)).status_code == 200
    # ...until she blocks him from that one as well (blocking is always allowed).
    assert (await relate(api, alice, a2, b, "block")).status_code == 200
    assert (await api.client.get(f"/v1/profiles/{a2}", headers=bob.headers)).status_code == 404


async def test_hide_is_a_relation_and_keeps_the_profile_reachable(api: Api) -> None:
    alice = await api.user()
    bob = await api.user()
    a = await first_profile_id(api, alice)
    b = await first_profile_id(api, bob)
    hidden = await relate(api, alice, a, b, "hide")
    assert hidden.json()["status"] == "hide"
    assert (await api.client.get(f"/v1/profiles/{b}", headers=alice.headers)).status_code == 200
    only_hides = await api.client.get(
        f"/v1/profiles/{a}/relations?status=hide", headers=alice.headers
    )
    assert len(only_hides.json()["items"]) == 1
    only_follows = await api.client.get(
        f"/v1/profiles/{a}/relations?status=follow", headers=alice.headers
    )
    assert only_follows.json()["items"] == []
