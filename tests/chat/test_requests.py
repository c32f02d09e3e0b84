"""Message requests (issue 26, part 3): a chat from a profile the invitee does not follow
arrives as a request; accept, decline (which the inviter cannot tell from pending), block; who
may ask (the invitee's setting); the daily limit; no read receipts while pending."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories.accounts import Api, TestUser
from tests.factories.cards import create_card
from tests.factories.chat import chat_user, events, new_chat, post, relate
from tests.factories.sync import changes_since

REQUESTS_PER_DAY = 3


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"chat_requests_per_day": REQUESTS_PER_DAY}


async def ask(
    api: Api, inviter: TestUser, *invitees: TestUser, direct: bool = False
) -> dict[str, Any]:
    """A chat that ``inviter`` starts with profiles that do not follow them."""
    response = await api.client.post(
        "/v1/chats",
        json={
            "profile_id": inviter.profile_id,
            "participant_ids": [invitee.profile_id for invitee in invitees],
            "direct": direct,
        },
        headers=inviter.headers,
    )
    assert response.status_code == 201, response.text
    chat: dict[str, Any] = response.json()
    return chat


async def requests_of(api: Api, user: TestUser) -> list[dict[str, Any]]:
    response = await api.client.get("/v1/chat-requests", headers=user.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def chats_of(api: Api, user: TestUser) -> list[str]:
    response = await api.client.get("/v1/chats", headers=user.headers)
    assert response.status_code == 200, response.text
    return [chat["id"] for chat in response.json()["items"]]


async def set_requests(api: Api, user: TestUser, value: str) -> dict[str, Any]:
    response = await api.client.patch(
        f"/v1/profiles/{user.profile_id}", json={"message_requests": value}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    profile: dict[str, Any] = response.json()
    return profile


async def verified_work_card(api: Api, user: TestUser, email: str) -> None:
    """A card of ``user``'s first profile with ``email`` proven through the mailed code."""
    card = await create_card(api, user, data={"emails": [{"value": email, "type": "work"}]})
    asked = await api.client.post(
        f"/v1/cards/{card['id']}/verifications", json={"email": email}, headers=user.headers
    )
    assert asked.status_code == 202, asked.text
    texts = await api.outbox_texts(email)
    code = re.search(r"code is (\d{6})", texts[-1])
    assert code, texts[-1]
    confirmed = await api.client.post(
        f"/v1/cards/{card['id']}/verifications/confirm",
        json={"email": email, "code": code.group(1)},
        headers=user.headers,
    )
    assert confirmed.status_code == 200, confirmed.text


async def inviters_view(api: Api, inviter: TestUser, chat_id: str) -> dict[str, Any]:
    """Everything the inviter can learn of a chat."""
    chat = (await api.client.get(f"/v1/chats/{chat_id}", headers=inviter.headers)).json()
    participants = (
        await api.client.get(f"/v1/chats/{chat_id}/participants", headers=inviter.headers)
    ).json()
    return {
        "chat": chat,
        "participants": participants,
        "events": await events(api.client, inviter, chat_id),
    }


# --- arriving, accepting ---------------------------------------------------------------------


async def test_a_strangers_chat_arrives_as_a_request_with_who_and_the_first_message(
    api: Api,
) -> None:
    inviter, invitee = await chat_user(api), await chat_user(api)
    chat = await ask(api, inviter, invitee, direct=True)
    assert chat["request"] is False  # the inviter's own chat
    await post(api.client, inviter, chat["id"], "Hello from the fair")
    await post(api.client, inviter, chat["id"], "Shall we meet?")

    assert await chats_of(api, invitee) == []
    assert await chats_of(api, inviter) == [chat["id"]]
    (request,) = await requests_of(api, invitee)
    assert request["chat"]["id"] == chat["id"]
    assert request["chat"]["request"] is True
    assert request["chat"]["unread_count"] == 2
    assert request["inviter_profile_id"] == inviter.profile_id
    assert request["inviter_verified_work"] is False
    assert request["first_message"]["body"] == "Hello from the fair"
    single = await api.client.get(f"/v1/chat-requests/{chat['id']}", headers=invitee.headers)
    assert single.json() == request
    # The inviter's profile is theirs to see (who asks).
    profile = await api.client.get(f"/v1/profiles/{inviter.profile_id}", headers=invitee.headers)
    assert profile.status_code == 200
    assert await requests_of(api, inviter) == []
    for user in (inviter, invitee):
        answer = await api.client.post(
            f"/v1/chat-requests/{chat['id']}/accept", headers=user.headers
        )
        if user is inviter:
            assert answer.status_code == 404  # not theirs to answer

    accepted = answer.json()
    assert answer.status_code == 200, answer.text
    assert accepted["request"] is False
    assert await chats_of(api, invitee) == [chat["id"]]
    assert await requests_of(api, invitee) == []
    gone = await api.client.get(f"/v1/chat-requests/{chat['id']}", headers=invitee.headers)
    assert gone.status_code == 404
    again = await api.client.post(f"/v1/chat-requests/{chat['id']}/accept", headers=invitee.headers)
    assert again.status_code == 404
    await post(api.client, invitee, chat["id"], "Gladly")


async def test_a_pending_invitee_reads_but_does_not_write_until_they_accept(api: Api) -> None:
    inviter, invitee = await chat_user(api), await chat_user(api)
    chat = await ask(api, inviter, invitee, direct=True)
    message = await post(api.client, inviter, chat["id"], "Hello from the fair")
    url = f"/v1/chats/{chat['id']}"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    writes = [
        ("POST", f"{url}/messages", {"body": "Hi"}),
        ("POST", f"{url}/messages", {"body": "Hi", "send_at": tomorrow}),
        ("PUT", f"{url}/messages/{message['index']}/reactions/%F0%9F%91%8D", None),
        ("PUT", f"{url}/pins/{message['index']}", None),
    ]
    for method, path, body in writes:
        refused = await api.client.request(method, path, json=body, headers=invitee.headers)
        assert refused.status_code == 403, (path, refused.text)
    keyed = await api.client.post(
        f"{url}/messages",
        json={"body": "Hi"},
        headers=invitee.headers | {"Idempotency-Key": "pending-1"},
    )
    assert keyed.status_code == 403, keyed.text
    assert keyed.json()["code"] == "forbidden"
    assert [event["index"] for event in await events(api.client, inviter, chat["id"])] == [
        event["index"] for event in await events(api.client, invitee, chat["id"])
    ]
    accepted = await api.client.post(
        f"/v1/chat-requests/{chat['id']}/accept", headers=invitee.headers
    )
    assert accepted.status_code == 200, accepted.text
    # The key of the refused post was not kept: the same key now posts.
    posted = await api.client.post(
        f"{url}/messages",
        json={"body": "Hi"},
        headers=invitee.headers | {"Idempotency-Key": "pending-1"},
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["index"] == message["index"] + 1


async def test_a_profile_that_follows_the_inviter_joins_at_once(api: Api) -> None:
    inviter, friend = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, inviter, friend)  # the friend follows the inviter
    assert (await api.client.get(f"/v1/chats/{chat['id']}", headers=friend.headers)).json()[
        "request"
    ] is False
    assert await chats_of(api, friend) == [chat["id"]]
    assert await requests_of(api, friend) == []


async def test_an_invitation_into_a_group_from_a_stranger_is_a_request(api: Api) -> None:
    owner, member, newcomer = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, member, title="Board")
    invited = await api.client.post(
        f"/v1/chats/{chat['id']}/participants",
        json={"profile_id": newcomer.profile_id},
        headers=member.headers,
    )
    assert invited.status_code == 201, invited.text
    await post(api.client, owner, chat["id"], "Welcome")
    (request,) = await requests_of(api, newcomer)
    assert request["inviter_profile_id"] == member.profile_id
    assert request["first_message"]["body"] == "Welcome"
    assert request["chat"]["title"] == "Board"
    accepted = await api.client.post(
        f"/v1/chat-requests/{chat['id']}/accept", headers=newcomer.headers
    )
    assert accepted.status_code == 200
    assert await chats_of(api, newcomer) == [chat["id"]]


# --- declining, blocking ---------------------------------------------------------------------


async def test_the_inviter_cannot_tell_a_decline_from_a_pending_request(api: Api) -> None:
    inviter, friend = await chat_user(api), await chat_user(api)
    declines, waits = await chat_user(api), await chat_user(api)
    await relate(api, friend, inviter)
    chats = {}
    for invitee in (declines, waits):
        chat = await ask(api, inviter, invitee)
        await post(api.client, inviter, chat["id"], "Hi")
        chats[invitee.profile_id] = chat["id"]
    declined_id = chats[declines.profile_id]
    _, cursor = await changes_since(api.client, inviter)
    before = await inviters_view(api, inviter, declined_id)

    answer = await api.client.post(
        f"/v1/chat-requests/{declined_id}/decline", headers=declines.headers
    )
    assert answer.status_code == 204

    assert await inviters_view(api, inviter, declined_id) == before
    assert before["chat"]["participant_count"] == 2
    assert (await changes_since(api.client, inviter, cursor))[0] == []
    for chat_id in chats.values():
        # Posting, and inviting again: the same answers, declined or pending.
        await post(api.client, inviter, chat_id, "Still there?")
    for invitee in (declines, waits):
        again = await api.client.post(
            f"/v1/chats/{chats[invitee.profile_id]}/participants",
            json={"profile_id": invitee.profile_id},
            headers=inviter.headers,
        )
        assert again.status_code == 409, again.text
    # The one who declined is out of it.
    assert await requests_of(api, declines) == []
    assert await chats_of(api, declines) == []
    gone = await api.client.get(f"/v1/chats/{declined_id}", headers=declines.headers)
    assert gone.status_code == 404
    refused = await api.client.post(
        f"/v1/chats/{declined_id}/messages", json={"body": "x"}, headers=declines.headers
    )
    assert refused.status_code == 404


async def test_leaving_a_request_declines_it_silently(api: Api) -> None:
    inviter, invitee = await chat_user(api), await chat_user(api)
    chat = await ask(api, inviter, invitee, direct=True)
    before = await inviters_view(api, inviter, chat["id"])
    left = await api.client.delete(
        f"/v1/chats/{chat['id']}/participants/{invitee.profile_id}", headers=invitee.headers
    )
    assert left.status_code == 204
    assert await inviters_view(api, inviter, chat["id"]) == before
    assert await requests_of(api, invitee) == []


async def test_blocking_a_request_declines_it_and_blocks_the_inviter(api: Api) -> None:
    inviter, invitee = await chat_user(api), await chat_user(api)
    chat = await ask(api, inviter, invitee)
    blocked = await api.client.post(
        f"/v1/chat-requests/{chat['id']}/block", headers=invitee.headers
    )
    assert blocked.status_code == 204
    assert await requests_of(api, invitee) == []
    relations = await api.client.get(
        f"/v1/profiles/{invitee.profile_id}/relations", headers=invitee.headers
    )
    assert [(r["target_id"], r["status"]) for r in relations.json()["items"]] == [
        (inviter.profile_id, "block")
    ]
    again = await api.client.post(
        "/v1/chats",
        json={"profile_id": inviter.profile_id, "participant_ids": [invitee.profile_id]},
        headers=inviter.headers,
    )
    assert again.status_code == 403
    assert again.json()["code"] == "blocked"


# --- who may ask ----------------------------------------------------------------------------


async def test_the_setting_is_the_owners_and_says_who_may_ask(api: Api) -> None:
    inviter, invitee = await chat_user(api), await chat_user(api)
    mine = await api.client.get(f"/v1/profiles/{invitee.profile_id}", headers=invitee.headers)
    assert mine.json()["message_requests"] == "everyone"
    theirs = await api.client.get(f"/v1/profiles/{invitee.profile_id}", headers=inviter.headers)
    assert theirs.json()["message_requests"] is None

    def start() -> Any:
        return api.client.post(
            "/v1/chats",
            json={"profile_id": inviter.profile_id, "participant_ids": [invitee.profile_id]},
            headers=inviter.headers,
        )

    assert (await set_requests(api, invitee, "nobody"))["message_requests"] == "nobody"
    refused = await start()
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_invitable"

    await set_requests(api, invitee, "verified_work")
    refused = await start()
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_invitable"
    await verified_work_card(api, inviter, f"{api.unique('sales')}@engines.example")
    allowed = await start()
    assert allowed.status_code == 201, allowed.text
    (request,) = await requests_of(api, invitee)
    assert request["inviter_verified_work"] is True

    # Following the inviter is consent whatever the setting.
    await set_requests(api, invitee, "nobody")
    await relate(api, invitee, inviter)
    followed = await start()
    assert followed.status_code == 201, followed.text

    for bad in ("friends", None, 3):
        invalid = await api.client.patch(
            f"/v1/profiles/{invitee.profile_id}",
            json={"message_requests": bad},
            headers=invitee.headers,
        )
        assert invalid.status_code == 422


async def test_a_free_mail_address_is_not_a_verified_work_email(api: Api) -> None:
    inviter, invitee = await chat_user(api), await chat_user(api)
    await set_requests(api, invitee, "verified_work")
    await verified_work_card(api, inviter, f"{api.unique('ada')}@gmail.com")
    refused = await api.client.post(
        "/v1/chats",
        json={"profile_id": inviter.profile_id, "participant_ids": [invitee.profile_id]},
        headers=inviter.headers,
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_invitable"


async def test_a_private_profile_takes_requests_from_accepted_followers_only(api: Api) -> None:
    inviter, private = await chat_user(api), await chat_user(api)
    await api.client.patch(
        f"/v1/profiles/{private.profile_id}", json={"private": True}, headers=private.headers
    )
    await relate(api, inviter, private)  # a follow request, not accepted
    body = {"profile_id": inviter.profile_id, "participant_ids": [private.profile_id]}
    refused = await api.client.post("/v1/chats", json=body, headers=inviter.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_invitable"
    accepted = await api.client.post(
        f"/v1/profiles/{private.profile_id}/followers/{inviter.profile_id}/accept",
        headers=private.headers,
    )
    assert accepted.status_code == 204
    asked = await api.client.post("/v1/chats", json=body, headers=inviter.headers)
    assert asked.status_code == 201, asked.text
    assert len(await requests_of(api, private)) == 1


# --- the daily limit ------------------------------------------------------------------------


async def test_requests_per_profile_per_day_are_limited(api: Api) -> None:
    inviter = await chat_user(api)
    strangers = [await chat_user(api) for _ in range(REQUESTS_PER_DAY + 1)]
    for stranger in strangers[: REQUESTS_PER_DAY - 1]:
        await ask(api, inviter, stranger)
    # A group counts each stranger it asks: two more would be one too many.
    too_many = await api.client.post(
        "/v1/chats",
        json={
            "profile_id": inviter.profile_id,
            "participant_ids": [s.profile_id for s in strangers[REQUESTS_PER_DAY - 1 :]],
        },
        headers=inviter.headers,
    )
    assert too_many.status_code == 429
    assert too_many.json()["code"] == "rate_limited"
    assert 86000 < int(too_many.headers["Retry-After"]) <= 86401
    await ask(api, inviter, strangers[REQUESTS_PER_DAY - 1])
    refused = await api.client.post(
        "/v1/chats",
        json={"profile_id": inviter.profile_id, "participant_ids": [strangers[-1].profile_id]},
        headers=inviter.headers,
    )
    assert refused.status_code == 429
    # Chats with followers are not requests: no limit.
    friend = await chat_user(api)
    await new_chat(api, inviter, friend)
    # Another profile of the same person has its own count.
    other = await api.client.post(
        "/v1/profiles", json={"name": "Side project"}, headers=inviter.headers
    )
    asked = await api.client.post(
        "/v1/chats",
        json={"profile_id": other.json()["id"], "participant_ids": [strangers[-1].profile_id]},
        headers=inviter.headers,
    )
    assert asked.status_code == 201, asked.text


# --- no read receipts ------------------------------------------------------------------------


async def test_reading_a_pending_request_tells_the_inviter_nothing(api: Api) -> None:
    inviter, invitee = await chat_user(api), await chat_user(api)
    chat = await ask(api, inviter, invitee, direct=True)
    message = await post(api.client, inviter, chat["id"], "Are you there?")
    _, cursor = await changes_since(api.client, inviter)
    before = await inviters_view(api, inviter, chat["id"])

    read = await api.client.post(
        f"/v1/chats/{chat['id']}/read", json={"index": message["index"]}, headers=invitee.headers
    )
    assert read.status_code == 204
    (request,) = await requests_of(api, invitee)
    assert request["chat"]["unread_count"] == 0  # their own marker moved

    assert await inviters_view(api, inviter, chat["id"]) == before
    assert (await changes_since(api.client, inviter, cursor))[0] == []


async def test_a_pending_request_is_marked_in_the_invitees_offline_copy(api: Api) -> None:
    inviter, invitee = await chat_user(api), await chat_user(api)
    _, cursor = await changes_since(api.client, invitee)
    chat = await ask(api, inviter, invitee, direct=True)
    changes, _ = await changes_since(api.client, invitee, cursor)
    (entry,) = [change for change in changes if change["entity"] == "chat"]
    assert entry["data"]["request"] is True
    _, cursor = await changes_since(api.client, invitee)
    await api.client.post(f"/v1/chat-requests/{chat['id']}/accept", headers=invitee.headers)
    (entry,) = [
        change
        for change in (await changes_since(api.client, invitee, cursor))[0]
        if change["entity"] == "chat"
    ]
    assert entry["data"]["request"] is False
