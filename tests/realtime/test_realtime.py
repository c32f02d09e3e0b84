"""The WebSocket endpoint ``GET /v1/ws`` against a real uvicorn serving the test's app."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bca.backends import Backends
from bca.backends.cache import MemoryCache
from bca.backends.pubsub import CHAT_CHANNEL
from bca.realtime import hub as hub_module
from bca.realtime import mailboxes
from bca.realtime import routes as realtime_routes
from bca.realtime.hub import Hub
from bca.realtime.mailboxes import Connection
from tests.conftest import make_client
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, new_chat, post, relate
from tests.fixtures.live_server import live_server  # noqa: F401  # the fixture


@asynccontextmanager
async def socket(
    server: str, user: TestUser | None = None, *, in_query: bool = True
) -> AsyncIterator[ClientConnection]:
    url = server.replace("http://", "ws://") + "/v1/ws"
    if user is not None and in_query:
        url += f"?access_token={user.access_token}"
    async with connect(url, open_timeout=5, close_timeout=2) as ws:
        yield ws


async def receive(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


@asynccontextmanager
async def ready_socket(server: str, user: TestUser) -> AsyncIterator[ClientConnection]:
    async with socket(server, user) as ws:
        hello = await receive(ws)
        assert hello == {"type": "ready", "user_id": user.id, "session_id": user.session_id}
        yield ws


async def read_forever(ws: ClientConnection) -> None:
    while True:
        await ws.recv()


async def close_code(ws: ClientConnection, timeout: float = 5.0) -> int:
    """Read until the server closes; the code it closed with."""
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(read_forever(ws), timeout)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def nothing_arrives(ws: ClientConnection, wait: float = 0.5, *, hints: bool = False) -> None:
    """Nothing but sync hints arrives within ``wait`` (nothing at all with ``hints``)."""

    async def next_message() -> None:
        while True:
            text = await ws.recv()
            if hints or json.loads(text) != {"type": "sync"}:
                raise AssertionError(f"unexpected message {text!r}")

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(next_message(), wait)


async def next_events(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    """The next ``count`` messages but sync hints (a membership change may also change what
    the user's sync view holds: ``test_sync_hints.py``)."""
    received: list[dict[str, Any]] = []
    while len(received) < count:
        message = await receive(ws)
        if message != {"type": "sync"}:
            received.append(message)
    assert {message["type"] for message in received} == {"event"}, received
    return [message["event"] for message in received]


# --- authentication ------------------------------------------------------------------------


async def test_events_of_my_chats_arrive_in_order(api: Api, live_server: str) -> None:  # noqa: F811
    owner, friend = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, friend)
    async with (
        ready_socket(live_server, friend) as theirs,
        ready_socket(live_server, owner) as mine,
    ):
        posted = [await post(api.client, owner, chat["id"], f"m{n}") for n in range(5)]
        edited = await api.client.patch(
            f"/v1/chats/{chat['id']}/messages/3", json={"body": "m0!"}, headers=owner.headers
        )
        expected = [*posted, edited.json()]
        assert await next_events(theirs, 6) == expected
        assert await next_events(mine, 6) == expected


async def test_auth_by_first_message(api: Api, live_server: str) -> None:  # noqa: F811
    user = await chat_user(api)
    async with socket(live_server) as ws:
        await ws.send(json.dumps({"type": "auth", "access_token": user.access_token}))
        assert (await receive(ws))["type"] == "ready"
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}


async def test_bad_authentication_closes_with_4401(api: Api, live_server: str) -> None:  # noqa: F811
    for first in (
        {"type": "auth", "access_token": "not-a-token"},
        {"type": "ping"},
        {"type": "auth"},
        "not json",
    ):
        async with socket(live_server) as ws:
            await ws.send(first if isinstance(first, str) else json.dumps(first))
            assert await close_code(ws) == 4401, first


async def test_a_bad_or_revoked_query_token_closes_with_4401(api: Api, live_server: str) -> None:  # noqa: F811
    user = await chat_user(api)
    url = live_server.replace("http://", "ws://") + "/v1/ws?access_token=garbage"
    async with connect(url) as ws:
        assert await close_code(ws) == 4401
    assert (await api.client.post("/v1/auth/signout", headers=user.headers)).status_code == 204
    async with socket(live_server, user) as ws:
        assert await close_code(ws) == 4401


async def test_no_authentication_in_time_closes_with_4401(
    api: Api,
    live_server: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(realtime_routes, "AUTH_TIMEOUT", 0.3)
    async with socket(live_server) as ws:
        assert await close_code(ws) == 4401


async def test_revoking_the_session_closes_the_socket_at_once(api: Api, live_server: str) -> None:  # noqa: F811
    user = await chat_user(api)
    other_device = await api.sign_in_as(
        TestUser(id=user.id, email=user.email, username=user.username, password=user.password)
    )
    async with (
        ready_socket(live_server, user) as first,
        ready_socket(live_server, other_device) as second,
    ):
        assert (await api.client.post("/v1/auth/signout", headers=user.headers)).status_code == 204
        assert await close_code(first, timeout=2) == 4401
        # Only the revoked session's sockets close.
        await second.send(json.dumps({"type": "ping"}))
        assert await receive(second) == {"type": "pong"}


# --- the protocol --------------------------------------------------------------------------


async def test_unknown_messages_get_an_error_and_the_socket_stays(
    api: Api,
    live_server: str,  # noqa: F811
) -> None:
    user = await chat_user(api)
    async with ready_socket(live_server, user) as ws:
        for junk in ("nonsense", json.dumps([1, 2]), json.dumps({"type": "dance"}), "x" * 5000):
            await ws.send(junk)
            reply = await receive(ws)
            assert reply["type"] == "error"
            assert reply["code"] == "validation_error"
        await ws.send(b"\x00\x01")
        assert (await receive(ws))["type"] == "error"
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}


async def test_typing_is_relayed_to_the_other_participants(api: Api, live_server: str) -> None:  # noqa: F811
    owner, ann, outsider = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, ann)
    async with (
        ready_socket(live_server, owner) as mine,
        ready_socket(live_server, ann) as theirs,
        ready_socket(live_server, outsider) as stranger,
    ):
        typing = json.dumps({"type": "typing", "chat_id": chat["id"]})
        await mine.send(typing)
        await mine.send(typing)  # within a second: not relayed again
        assert await receive(theirs) == {
            "type": "typing",
            "chat_id": chat["id"],
            "profile_id": owner.profile_id,
        }
        await nothing_arrives(theirs, 0.3)
        await nothing_arrives(mine, 0.1)
        await nothing_arrives(stranger, 0.1)

        await stranger.send(typing)
        assert (await receive(stranger))["code"] == "not_found"
        await stranger.send(json.dumps({"type": "typing", "chat_id": "nope"}))
        assert (await receive(stranger))["code"] == "validation_error"
        await nothing_arrives(theirs, 0.2)


# --- membership ----------------------------------------------------------------------------


async def test_departed_participants_stop_receiving_at_once(
    api: Api,
    live_server: str,  # noqa: F811
) -> None:
    owner, ann, bob, carl = [await chat_user(api) for _ in range(4)]
    chat = await new_chat(api, owner, ann, bob, carl)
    async with (
        ready_socket(live_server, ann) as staying,
        ready_socket(live_server, bob) as kicked,
        ready_socket(live_server, carl) as leaving,
    ):
        for actor, gone, ws, kind in (
            (owner, bob, kicked, "member_kicked"),
            (carl, carl, leaving, "member_left"),
        ):
            response = await api.client.delete(
                f"/v1/chats/{chat['id']}/participants/{gone.profile_id}", headers=actor.headers
            )
            assert response.status_code == 204
            (departure,) = await next_events(ws, 1)
            assert departure["type"] == kind
            assert departure["target_profile_id"] == gone.profile_id
            assert await next_events(staying, 1) == [departure]
            if gone is bob:  # carl was still there to see bob go
                assert await next_events(leaving, 1) == [departure]
        await nothing_arrives(kicked, 0.1)  # carl's departure did not reach bob

        after = await post(api.client, owner, chat["id"], "without them")
        assert await next_events(staying, 1) == [after]
        # Typing no longer reaches them either.
        await staying.send(json.dumps({"type": "typing", "chat_id": chat["id"]}))
        await nothing_arrives(kicked, 0.5)
        await nothing_arrives(leaving, 0.1)


async def test_invited_participants_start_receiving(api: Api, live_server: str) -> None:  # noqa: F811
    owner, newcomer = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner)
    await relate(api, newcomer, owner)
    async with ready_socket(live_server, newcomer) as ws:
        await post(api.client, owner, chat["id"], "before")
        await nothing_arrives(ws, 0.3)
        joined = await api.client.post(
            f"/v1/chats/{chat['id']}/participants",
            json={"profile_id": newcomer.profile_id},
            headers=owner.headers,
        )
        message = await post(api.client, owner, chat["id"], "welcome")
        assert await next_events(ws, 2) == [joined.json(), message]


async def test_a_participant_invited_amid_posts_receives_every_later_event(
    api: Api,
    live_server: str,  # noqa: F811
    backends: Backends,
) -> None:
    """A post reads who receives it after taking the chat's lock, so an invitation that
    commits while posts queue for the lock takes effect exactly at its own event."""
    owner, *posters = [await chat_user(api) for _ in range(4)]
    newcomer = await chat_user(api)
    chat = await new_chat(api, owner, *posters)
    await relate(api, newcomer, owner)
    url = f"/v1/chats/{chat['id']}"

    posted = 0
    some_posted, invited = asyncio.Event(), asyncio.Event()

    async def write(poster: TestUser) -> None:
        # Until two posts each after the invitation: it lands among posts on SQLite too, where
        # the writers' busy-waiting can keep it from the write lock for a while.
        nonlocal posted
        after_invitation = 0
        async with make_client(backends) as client:
            while after_invitation < 2:
                after_invitation += invited.is_set()
                await post(client, poster, chat["id"], f"{poster.username} {posted}")
                posted += 1
                if posted == 5:
                    some_posted.set()

    async def invite() -> int:
        await some_posted.wait()
        async with make_client(backends) as client:
            joined = await client.post(
                f"{url}/participants",
                json={"profile_id": newcomer.profile_id},
                headers=owner.headers,
            )
        assert joined.status_code == 201, joined.text
        invited.set()
        return int(joined.json()["index"])

    async with ready_socket(live_server, newcomer) as ws:
        writing = asyncio.gather(*(write(poster) for poster in posters))
        joined_at = await invite()
        await writing
        last = (await api.client.get(url, headers=owner.headers)).json()["last_event_index"]
        received = [event["index"] for event in await next_events(ws, last - joined_at + 1)]
        await nothing_arrives(ws, 0.3)
    assert received == list(range(joined_at, last + 1))
    assert joined_at < last, "the invitation should land among the posts"


async def test_new_chats_reach_their_members(api: Api, live_server: str) -> None:  # noqa: F811
    owner, friend = await chat_user(api), await chat_user(api)
    await relate(api, friend, owner)
    async with ready_socket(live_server, friend) as ws:
        chat = await new_chat(api, owner, friend, befriend=False)
        joins = await next_events(ws, 2)
        assert [event["index"] for event in joins] == [1, 2]
        assert {event["chat_id"] for event in joins} == {chat["id"]}


# --- slow clients and the hub's life -------------------------------------------------------


def raw_event(user_id: str, chat_id: str, index: int) -> str:
    event = {"chat_id": chat_id, "index": index, "type": "message", "body": "x" * 100}
    return json.dumps({"kind": "event", "chat_id": chat_id, "user_ids": [user_id], "event": event})


async def test_a_client_too_far_behind_is_closed_with_4408(
    api: Api,
    live_server: str,  # noqa: F811
    backends: Backends,
    monkeypatch: pytest.MonkeyPatch,
    stack: str,
) -> None:
    if stack != "sqlite":
        pytest.skip("needs the in-process cache, which hands the hub a burst in one go")
    monkeypatch.setattr(hub_module, "QUEUE_LIMIT", 4)
    slow, fast = await chat_user(api), await chat_user(api)
    chat_id = str(uuid.uuid4())
    async with ready_socket(live_server, slow) as lagging, ready_socket(live_server, fast) as ok:
        for index in range(1, 51):
            await backends.cache.publish(CHAT_CHANNEL, raw_event(slow.id, chat_id, index))
        await backends.cache.publish(CHAT_CHANNEL, raw_event(fast.id, chat_id, 1))
        assert await close_code(lagging) == 4408
        assert (await receive(ok))["event"]["index"] == 1


async def test_the_hub_listens_only_while_someone_is_connected(
    api: Api,
    live_server: str,  # noqa: F811
    backends: Backends,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It stops once nobody has needed it for IDLE_SECONDS (here shortened)."""
    monkeypatch.setattr("bca.realtime.hub.IDLE_SECONDS", 0.2)
    user = await chat_user(api)
    hub = backends.realtime
    assert isinstance(hub, Hub)
    assert not hub.running
    async with ready_socket(live_server, user):
        assert hub.running
    assert hub.running  # lingers a while: long-polls come and go
    for _ in range(100):
        if not hub.running:
            break
        await asyncio.sleep(0.02)
    assert not hub.running


def relayed_event(
    chat_id: uuid.UUID, index: int, *to: uuid.UUID, departed: uuid.UUID | None
) -> str:
    event = {"chat_id": str(chat_id), "index": index, "type": "message", "body": "x"}
    message = {
        "kind": "event",
        "chat_id": str(chat_id),
        "user_ids": sorted(str(user_id) for user_id in to),
        "departed_user_id": str(departed) if departed else None,
        "event": event,
    }
    return json.dumps(message)


async def test_the_hub_knows_a_chats_newest_event_while_it_listens() -> None:
    """What spares a receiver's next long-poll the database (``Hub.caught_up``)."""
    cache = MemoryCache()
    hub = Hub(cache, typing_audience=lambda user, chat: asyncio.sleep(0, None))
    chat, other_chat = uuid.uuid4(), uuid.uuid4()
    member, leaver, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    async def relay(chat_id: uuid.UUID, index: int, departed: uuid.UUID | None = None) -> None:
        async with hub.watch(chat_id) as waiter:
            await cache.publish(
                CHAT_CHANNEL, relayed_event(chat_id, index, member, leaver, departed=departed)
            )
            await asyncio.wait_for(waiter.woken.wait(), 5)

    await relay(chat, 7)
    assert hub.caught_up(chat, member, 7)
    assert not hub.caught_up(chat, member, 6)  # event 7 is there to read
    assert not hub.caught_up(chat, stranger, 7)
    assert not hub.caught_up(other_chat, member, 7)
    await relay(chat, 9)
    await relay(chat, 8)  # late: the newest stays 9
    assert hub.caught_up(chat, member, 9)
    assert not hub.caught_up(chat, member, 8)
    await relay(chat, 10, departed=leaver)
    assert hub.caught_up(chat, member, 10)
    assert not hub.caught_up(chat, leaver, 10)  # it went to them as the one who left
    await hub.close()
    assert not hub.caught_up(chat, member, 10)  # no longer listening: anything may have come


# --- the connection's ordering (no server needed) -------------------------------------------


async def test_connection_puts_overtaking_events_back_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mailboxes, "REORDER_WINDOW", 0.2)
    connection = Connection(user_id=uuid.uuid4(), session_id=uuid.uuid4(), limit=100)
    for index in (5, 7, 6, 9):
        connection.offer_event("c", index, str(index), departed=False)
    queued = connection.take()
    assert queued == ["5", "6", "7"]
    await asyncio.sleep(0.3)  # 8 never came: 9 goes out after the window
    assert connection.take() == ["9"]
    connection.offer_event("c", 8, "8", departed=False)  # late: delivered, not lost
    connection.offer_event("c", 10, "10", departed=False)
    assert connection.take() == ["8", "10"]


async def test_connection_closes_itself_when_its_queue_overflows() -> None:
    connection = Connection(user_id=uuid.uuid4(), session_id=uuid.uuid4(), limit=2)
    for index in range(1, 4):
        connection.offer_event("c", index, str(index), departed=False)
    assert connection.closing.done()
    assert connection.closing.result()[0] == 4408
