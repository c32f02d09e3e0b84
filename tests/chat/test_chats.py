"""Chats: creation (group and direct), listing, renaming, muting, invitations, leaving, kicking."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import update

from bca.core.time import utcnow
from bca.profiles.models import Profile
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, events, followed_by, new_chat, post, relate


def kinds(log: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in log]


# --- creation ------------------------------------------------------------------------------


async def test_group_chat_is_created_with_a_join_event_per_member(api: Api) -> None:
    owner, ann, bob = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann, bob, title="  Lunch  ")

    assert chat["title"] == "Lunch"
    assert chat["direct"] is False
    assert chat["owner_profile_id"] == owner.profile_id
    assert chat["my_profile_id"] == owner.profile_id
    assert chat["participant_count"] == 3
    assert chat["last_event_index"] == 3
    assert chat["unread_count"] == 0
    assert chat["muted"] is False
    log = await events(api.client, ann, chat["id"])
    assert [e["index"] for e in log] == [1, 2, 3]
    assert kinds(log) == ["member_joined"] * 3
    assert [e["target_profile_id"] for e in log] == [
        owner.profile_id,
        ann.profile_id,
        bob.profile_id,
    ]
    assert {e["profile_id"] for e in log} == {owner.profile_id}

    seen_by_ann = (await api.client.get(f"/v1/chats/{chat['id']}", headers=ann.headers)).json()
    assert seen_by_ann["my_profile_id"] == ann.profile_id
    assert seen_by_ann["participant_count"] == 3

    alone = await new_chat(api, owner)  # a chat of one, to fill later
    assert alone["participant_count"] == 1
    assert alone["title"] is None


async def test_creating_as_a_profile_not_mine_or_with_unknown_participants_is_404(
    api: Api,
) -> None:
    me, other = await chat_user(api), await chat_user(api)
    for body in (
        {"profile_id": other.profile_id, "participant_ids": []},
        {"profile_id": str(uuid.uuid4()), "participant_ids": []},
        {"profile_id": me.profile_id, "participant_ids": [str(uuid.uuid4())]},
    ):
        response = await api.client.post("/v1/chats", json=body, headers=me.headers)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "not_found"
    async with api.backends.database.transaction() as session:
        await session.execute(
            update(Profile)
            .where(Profile.id == uuid.UUID(me.profile_id))
            .values(deleted_at=utcnow())
        )
    response = await api.client.post(
        "/v1/chats", json={"profile_id": me.profile_id, "participant_ids": []}, headers=me.headers
    )
    assert response.status_code == 404


async def test_followers_join_and_anyone_else_is_asked(api: Api) -> None:
    me = await chat_user(api)
    stranger, fan, idol = await chat_user(api), await chat_user(api), await chat_user(api)
    await relate(api, fan, me)  # fan follows me
    await relate(api, me, idol)  # I follow idol (who does not follow me)

    response = await api.client.post(
        "/v1/chats",
        json={
            "profile_id": me.profile_id,
            "participant_ids": [fan.profile_id, stranger.profile_id, idol.profile_id],
        },
        headers=me.headers,
    )
    assert response.status_code == 201, response.text
    chat = response.json()
    assert chat["participant_count"] == 4
    assert chat["request"] is False
    fans = (await api.client.get(f"/v1/chats/{chat['id']}", headers=fan.headers)).json()
    assert fans["request"] is False
    for asked in (stranger, idol):
        theirs = (await api.client.get(f"/v1/chats/{chat['id']}", headers=asked.headers)).json()
        assert theirs["request"] is True
        listed = (await api.client.get("/v1/chats", headers=asked.headers)).json()["items"]
        assert listed == []


async def test_no_chat_across_a_block(api: Api) -> None:
    me, them, other = await chat_user(api), await chat_user(api), await chat_user(api)
    await relate(api, me, them, "block")  # I block them
    await relate(api, other, me, "block")  # the other blocks me
    for blocked in (them, other):
        for direct in (False, True):
            response = await api.client.post(
                "/v1/chats",
                json={
                    "profile_id": me.profile_id,
                    "participant_ids": [blocked.profile_id],
                    "direct": direct,
                },
                headers=me.headers,
            )
            assert response.status_code == 403, response.text
            assert response.json()["code"] == "blocked"


async def test_a_pending_follow_request_does_not_make_a_profile_invitable(api: Api) -> None:
    me, private = await chat_user(api), await chat_user(api)
    response = await api.client.patch(
        f"/v1/profiles/{private.profile_id}", json={"private": True}, headers=private.headers
    )
    assert response.status_code == 200, response.text
    await api.client.put(
        f"/v1/profiles/{me.profile_id}/relations/{private.profile_id}",
        json={"status": "follow"},
        headers=me.headers,
    )
    response = await api.client.post(
        "/v1/chats",
        json={"profile_id": me.profile_id, "participant_ids": [private.profile_id]},
        headers=me.headers,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_invitable"


async def test_invalid_creation_bodies_are_422(api: Api) -> None:
    me, ann, bob = await chat_user(api), await chat_user(api), await chat_user(api)
    await followed_by(api, me, ann, bob)
    bodies: list[dict[str, Any]] = [
        {"participant_ids": "nope"},
        {"participant_ids": [me.profile_id]},
        {"participant_ids": [], "title": ""},
        {"participant_ids": [], "title": "x" * 201},
        {"participant_ids": [], "colour": "red"},
        {"participant_ids": [], "direct": True},
        {"participant_ids": [ann.profile_id, bob.profile_id], "direct": True},
        {"participant_ids": [ann.profile_id], "direct": True, "title": "Us"},
    ]
    for body in bodies:
        response = await api.client.post(
            "/v1/chats", json={"profile_id": me.profile_id, **body}, headers=me.headers
        )
        assert response.status_code == 422, (body, response.text)
        assert response.json()["code"] == "validation_error"
    assert (await api.client.get("/v1/chats", headers=me.headers)).json()["items"] == []


async def test_two_profiles_of_one_person_cannot_both_take_part(api: Api) -> None:
    me, other = await chat_user(api), await chat_user(api)
    second = await api.client.post("/v1/profiles", json={"name": "Other me"}, headers=other.headers)
    assert second.status_code == 201, second.text
    second_id = second.json()["id"]
    await relate(api, other, me)
    await api.client.put(
        f"/v1/profiles/{second_id}/relations/{me.profile_id}",
        json={"status": "follow"},
        headers=other.headers,
    )
    response = await api.client.post(
        "/v1/chats",
        json={"profile_id": me.profile_id, "participant_ids": [other.profile_id, second_id]},
        headers=me.headers,
    )
    assert response.status_code == 422, response.text

    chat = await new_chat(api, me, other)
    response = await api.client.post(
        f"/v1/chats/{chat['id']}/participants", json={"profile_id": second_id}, headers=me.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


# --- direct chats --------------------------------------------------------------------------


async def test_the_direct_chat_of_a_pair_is_unique(api: Api) -> None:
    me, them = await chat_user(api), await chat_user(api)
    await relate(api, them, me)
    first = await new_chat(api, me, them, direct=True, befriend=False)
    assert first["direct"] is True
    assert first["title"] is None

    again = await api.client.post(
        "/v1/chats",
        json={"profile_id": me.profile_id, "participant_ids": [them.profile_id], "direct": True},
        headers=me.headers,
    )
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    # From the other side too, and even after the follow ended.
    await api.client.delete(
        f"/v1/profiles/{them.profile_id}/relations/{me.profile_id}", headers=them.headers
    )
    theirs = await api.client.post(
        "/v1/chats",
        json={"profile_id": them.profile_id, "participant_ids": [me.profile_id], "direct": True},
        headers=them.headers,
    )
    assert theirs.status_code == 200
    assert theirs.json()["id"] == first["id"]
    assert theirs.json()["my_profile_id"] == them.profile_id


async def test_concurrent_creation_of_a_direct_chat_yields_one_chat(api: Api) -> None:
    me, them = await chat_user(api), await chat_user(api)
    await relate(api, them, me)
    await relate(api, me, them)

    async def create(who: TestUser, other: TestUser) -> tuple[int, str]:
        response = await api.client.post(
            "/v1/chats",
            json={
                "profile_id": who.profile_id,
                "participant_ids": [other.profile_id],
                "direct": True,
            },
            headers=who.headers,
        )
        return response.status_code, response.json()["id"]

    results = await asyncio.gather(
        *(create(me, them) if n % 2 else create(them, me) for n in range(8))
    )
    assert sorted(status for status, _ in results) == [200] * 7 + [201]
    assert len({chat_id for _, chat_id in results}) == 1
    listed = (await api.client.get("/v1/chats", headers=me.headers)).json()["items"]
    assert len(listed) == 1


async def test_direct_chats_cannot_be_renamed_extended_or_left(api: Api) -> None:
    me, them, third = await chat_user(api), await chat_user(api), await chat_user(api)
    await followed_by(api, me, third)
    chat = await new_chat(api, me, them, direct=True)
    url = f"/v1/chats/{chat['id']}"
    assert (await api.client.patch(url, json={"title": "x"}, headers=me.headers)).status_code == 403
    invite = await api.client.post(
        f"{url}/participants", json={"profile_id": third.profile_id}, headers=me.headers
    )
    assert invite.status_code == 403
    for who, profile in ((me, me), (me, them), (them, them)):
        response = await api.client.delete(
            f"{url}/participants/{profile.profile_id}", headers=who.headers
        )
        assert response.status_code == 403
    muted = await api.client.patch(url, json={"muted": True}, headers=them.headers)
    assert muted.status_code == 200
    assert muted.json()["muted"] is True


# --- listing -------------------------------------------------------------------------------


async def test_my_chats_come_most_recent_activity_first_in_pages(api: Api) -> None:
    me, friend = await chat_user(api), await chat_user(api)
    await followed_by(api, me, friend)
    chats = [await new_chat(api, me, friend, title=f"c{n}", befriend=False) for n in range(4)]
    await post(api.client, friend, chats[1]["id"], "ping")

    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        response = await api.client.get("/v1/chats", params=params, headers=me.headers)
        assert response.status_code == 200
        page = response.json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [chat["title"] for chat in seen] == ["c1", "c3", "c2", "c0"]
    assert seen[0]["unread_count"] == 1
    assert [chat["unread_count"] for chat in seen[1:]] == [0, 0, 0]
    assert (await api.client.get("/v1/chats", headers=me.headers)).json()["next_cursor"] is None
    stranger = await chat_user(api)
    assert (await api.client.get("/v1/chats", headers=stranger.headers)).json()["items"] == []
    response = await api.client.get("/v1/chats", params={"cursor": "!!"}, headers=me.headers)
    assert response.status_code == 422


async def test_participants_are_listed_for_participants(api: Api) -> None:
    owner, ann, bob = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann, bob)
    response = await api.client.get(
        f"/v1/chats/{chat['id']}/participants", params={"limit": 2}, headers=bob.headers
    )
    assert response.status_code == 200
    page = response.json()
    assert len(page["items"]) == 2
    rest = await api.client.get(
        f"/v1/chats/{chat['id']}/participants",
        params={"cursor": page["next_cursor"]},
        headers=bob.headers,
    )
    items = page["items"] + rest.json()["items"]
    assert [item["profile_id"] for item in items] == [
        owner.profile_id,
        ann.profile_id,
        bob.profile_id,
    ]
    assert [item["owner"] for item in items] == [True, False, False]


# --- renaming and muting -------------------------------------------------------------------


async def test_the_owner_renames_and_everyone_sees_a_chat_updated_event(api: Api) -> None:
    owner, ann = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann, title="Old")
    url = f"/v1/chats/{chat['id']}"

    renamed = await api.client.patch(url, json={"title": "New"}, headers=owner.headers)
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "New"
    assert renamed.json()["last_event_index"] == 3
    log = await events(api.client, ann, chat["id"], after=2)
    assert kinds(log) == ["chat_updated"]
    assert log[0]["body"] == "New"
    assert log[0]["profile_id"] == owner.profile_id

    same = await api.client.patch(url, json={"title": "New"}, headers=owner.headers)
    assert same.json()["last_event_index"] == 3  # nothing changed, no event

    cleared = await api.client.patch(url, json={"title": None}, headers=owner.headers)
    assert cleared.json()["title"] is None

    refused = await api.client.patch(url, json={"title": "Mine"}, headers=ann.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    unknown = await api.client.patch(
        url, json={"owner_profile_id": ann.profile_id}, headers=owner.headers
    )
    assert unknown.status_code == 422


async def test_mute_is_per_participant_and_writes_no_event(api: Api) -> None:
    owner, ann = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann)
    url = f"/v1/chats/{chat['id']}"
    muted = await api.client.patch(url, json={"muted": True}, headers=ann.headers)
    assert muted.status_code == 200
    assert muted.json()["muted"] is True
    assert muted.json()["last_event_index"] == 2
    assert (await api.client.get(url, headers=owner.headers)).json()["muted"] is False
    unmuted = await api.client.patch(url, json={"muted": False}, headers=ann.headers)
    assert unmuted.json()["muted"] is False


# --- invitations ---------------------------------------------------------------------------


async def test_any_participant_invites_their_followers(api: Api) -> None:
    owner, ann, newcomer = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann)
    url = f"/v1/chats/{chat['id']}/participants"
    closed = await api.client.patch(
        f"/v1/profiles/{newcomer.profile_id}",
        json={"message_requests": "nobody"},
        headers=newcomer.headers,
    )
    assert closed.status_code == 200, closed.text
    refused = await api.client.post(
        url, json={"profile_id": newcomer.profile_id}, headers=ann.headers
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_invitable"

    await relate(api, newcomer, ann)  # the newcomer follows ann
    invited = await api.client.post(
        url, json={"profile_id": newcomer.profile_id}, headers=ann.headers
    )
    assert invited.status_code == 201, invited.text
    event = invited.json()
    assert event["type"] == "member_joined"
    assert event["index"] == 3
    assert event["profile_id"] == ann.profile_id
    assert event["target_profile_id"] == newcomer.profile_id

    theirs = await api.client.get(f"/v1/chats/{chat['id']}", headers=newcomer.headers)
    assert theirs.status_code == 200
    assert theirs.json()["participant_count"] == 3
    assert theirs.json()["my_profile_id"] == newcomer.profile_id
    assert theirs.json()["request"] is False

    again = await api.client.post(
        url, json={"profile_id": newcomer.profile_id}, headers=owner.headers
    )
    assert again.status_code == 409


async def test_invitations_never_cross_a_block(api: Api) -> None:
    owner, ann, blocker = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann)
    await relate(api, blocker, owner)
    await relate(api, blocker, owner, "block")
    response = await api.client.post(
        f"/v1/chats/{chat['id']}/participants",
        json={"profile_id": blocker.profile_id},
        headers=owner.headers,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "blocked"
    unknown = await api.client.post(
        f"/v1/chats/{chat['id']}/participants",
        json={"profile_id": str(uuid.uuid4())},
        headers=owner.headers,
    )
    assert unknown.status_code == 404


# --- leaving and kicking -------------------------------------------------------------------


async def test_leaving_ends_access_but_keeps_history_up_to_the_departure(api: Api) -> None:
    owner, ann = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann)
    await post(api.client, owner, chat["id"], "before")
    url = f"/v1/chats/{chat['id']}"

    left = await api.client.delete(f"{url}/participants/{ann.profile_id}", headers=ann.headers)
    assert left.status_code == 204
    await post(api.client, owner, chat["id"], "after")

    assert (await api.client.get(url, headers=ann.headers)).status_code == 404
    assert (await api.client.get("/v1/chats", headers=ann.headers)).json()["items"] == []
    history = await events(api.client, ann, chat["id"])
    assert [e["type"] for e in history] == [
        "member_joined",
        "member_joined",
        "message",
        "member_left",
    ]
    assert history[-1]["target_profile_id"] == ann.profile_id
    beyond = await api.client.get(f"{url}/events", params={"after": 4}, headers=ann.headers)
    assert beyond.status_code == 404
    owner_view = (await api.client.get(url, headers=owner.headers)).json()
    assert owner_view["participant_count"] == 1


async def test_a_departed_participant_can_be_invited_back(api: Api) -> None:
    owner, ann = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann)
    url = f"/v1/chats/{chat['id']}"
    await api.client.delete(f"{url}/participants/{ann.profile_id}", headers=ann.headers)
    back = await api.client.post(
        f"{url}/participants", json={"profile_id": ann.profile_id}, headers=owner.headers
    )
    assert back.status_code == 201
    assert (await api.client.get(url, headers=ann.headers)).status_code == 200
    assert len(await events(api.client, ann, chat["id"])) == 4


async def test_the_owner_kicks_and_others_cannot(api: Api) -> None:
    owner, ann, bob = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann, bob)
    url = f"/v1/chats/{chat['id']}/participants"

    refused = await api.client.delete(f"{url}/{bob.profile_id}", headers=ann.headers)
    assert refused.status_code == 403
    kicked = await api.client.delete(f"{url}/{bob.profile_id}", headers=owner.headers)
    assert kicked.status_code == 204
    log = await events(api.client, ann, chat["id"], after=3)
    assert kinds(log) == ["member_kicked"]
    assert log[0]["profile_id"] == owner.profile_id
    assert log[0]["target_profile_id"] == bob.profile_id
    assert (await api.client.get(f"/v1/chats/{chat['id']}", headers=bob.headers)).status_code == 404
    gone = await api.client.delete(f"{url}/{bob.profile_id}", headers=owner.headers)
    assert gone.status_code == 404


async def test_an_owner_who_leaves_hands_the_chat_to_the_longest_standing_member(api: Api) -> None:
    owner, ann, bob = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann, bob)
    response = await api.client.delete(
        f"/v1/chats/{chat['id']}/participants/{owner.profile_id}", headers=owner.headers
    )
    assert response.status_code == 204
    log = await events(api.client, bob, chat["id"], after=3)
    assert kinds(log) == ["member_left", "chat_updated"]
    assert log[1]["target_profile_id"] == ann.profile_id
    seen = (await api.client.get(f"/v1/chats/{chat['id']}", headers=bob.headers)).json()
    assert seen["owner_profile_id"] == ann.profile_id
    renamed = await api.client.patch(
        f"/v1/chats/{chat['id']}", json={"title": "Ann's"}, headers=ann.headers
    )
    assert renamed.status_code == 200


# --- who may see what ----------------------------------------------------------------------


ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "", None),
    ("PATCH", "", {"muted": True}),
    ("GET", "/participants", None),
    ("POST", "/participants", {"profile_id": "SELF"}),
    ("DELETE", "/participants/SELF", None),
    ("POST", "/messages", {"body": "hi"}),
    ("PATCH", "/messages/3", {"body": "edited"}),
    ("DELETE", "/messages/3", None),
    ("GET", "/events", None),
    ("GET", "/events?wait=1", None),
    ("POST", "/read", {"index": 1}),
]


async def test_non_participants_get_404_on_every_chat_endpoint(api: Api) -> None:
    owner, friend, outsider = await chat_user(api), await chat_user(api), await chat_user(api)
    await relate(api, outsider, owner)
    chat = await new_chat(api, owner, friend)
    await post(api.client, owner, chat["id"], "secret")
    for method, path, body in ENDPOINTS:
        path = path.replace("SELF", outsider.profile_id)
        if body and body.get("profile_id") == "SELF":
            body = {"profile_id": outsider.profile_id}
        for chat_id in (chat["id"], str(uuid.uuid4())):
            response = await api.client.request(
                method, f"/v1/chats/{chat_id}{path}", json=body, headers=outsider.headers
            )
            assert response.status_code == 404, (method, path, chat_id, response.text)
            assert response.json()["code"] == "not_found"
    # Nothing the outsider tried left a trace.
    log = await events(api.client, owner, chat["id"])
    assert [e["index"] for e in log] == [1, 2, 3]
    assert log[2]["body"] == "secret"
    assert (await api.client.get(f"/v1/chats/{chat['id']}", headers=owner.headers)).json()[
        "muted"
    ] is False
    for path in ("/v1/chats", f"/v1/chats/{chat['id']}"):
        assert (await api.client.get(path)).status_code == 401


async def test_a_participant_reads_only_within_their_memberships(api: Api) -> None:
    """Issue 22, item 13: the time away stays invisible; the earlier membership reads as it
    was when it ended; a newcomer reads from their invitation on."""
    owner, ann, bob = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann)  # events 1, 2: the founding members join
    url = f"/v1/chats/{chat['id']}"
    before = await post(api.client, owner, chat["id"], "before")  # 3
    await api.client.delete(f"{url}/participants/{ann.profile_id}", headers=ann.headers)  # 4
    await post(api.client, owner, chat["id"], "while ann was away")  # 5
    edited = await api.client.patch(
        f"{url}/messages/{before['index']}", json={"body": "before, edited"}, headers=owner.headers
    )  # 6
    assert edited.status_code == 200, edited.text
    back = await api.client.post(
        f"{url}/participants", json={"profile_id": ann.profile_id}, headers=owner.headers
    )  # 7
    assert back.status_code == 201, back.text
    await post(api.client, owner, chat["id"], "after")  # 8

    seen = await events(api.client, ann, chat["id"])
    assert [event["index"] for event in seen] == [1, 2, 3, 4, 7, 8]
    assert seen[2]["body"] == "before"  # as it was when ann left
    assert seen[2]["edited_at"] is None
    assert "while ann was away" not in str(seen)
    # Asking from inside the time away gives the rejoin onward.
    resumed = await api.client.get(f"{url}/events", params={"after": 4}, headers=ann.headers)
    assert [event["index"] for event in resumed.json()["events"]] == [7, 8]
    # Small pages walk the windows without a gap or a leak.
    paged = await api.client.get(
        f"{url}/events", params={"after": 2, "limit": 3}, headers=ann.headers
    )
    assert [event["index"] for event in paged.json()["events"]] == [3, 4, 7]
    # The owner, who never left, sees everything as it is now.
    everything = await events(api.client, owner, chat["id"])
    assert [event["index"] for event in everything] == list(range(1, 9))
    assert everything[2]["body"] == "before, edited"

    # A newcomer reads from their invitation on.
    await followed_by(api, owner, bob)
    invited = await api.client.post(
        f"{url}/participants", json={"profile_id": bob.profile_id}, headers=owner.headers
    )  # 9
    assert invited.status_code == 201, invited.text
    assert [event["index"] for event in await events(api.client, bob, chat["id"])] == [9]

    # Ann leaves again: both memberships stay readable, nothing after the second departure.
    await api.client.delete(f"{url}/participants/{ann.profile_id}", headers=ann.headers)  # 10
    await post(api.client, owner, chat["id"], "after ann left again")  # 11
    departed = await events(api.client, ann, chat["id"])
    assert [event["index"] for event in departed] == [1, 2, 3, 4, 7, 8, 9, 10]
    assert departed[2]["body"] == "before"
    beyond = await api.client.get(f"{url}/events", params={"after": 10}, headers=ann.headers)
    assert beyond.status_code == 404
