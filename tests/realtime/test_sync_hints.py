"""``{"type":"sync"}`` on the WebSocket: a user's sync change log grew in a committed
transaction (one hint per user per transaction, through the pub/sub so it crosses instances;
none for chat's own entries, which arrive as events)."""

from __future__ import annotations

import asyncio
import uuid

from bca.backends.cache import MemoryCache
from bca.backends.pubsub import publish_sync_hints
from bca.realtime.hub import Hub
from tests.factories.accounts import Api
from tests.factories.cards import create_card, first_profile_id
from tests.factories.chat import chat_user, new_chat, post
from tests.fixtures.live_server import live_server  # noqa: F401  # the fixture
from tests.realtime.test_realtime import next_events, nothing_arrives, ready_socket, receive


async def test_an_owners_edit_hints_the_holders_socket_once(api: Api, live_server: str) -> None:  # noqa: F811
    owner, holder, stranger = await api.user(), await api.user(), await api.user()
    card = await create_card(api, owner, data={"given_name": "Ada"})
    me = await first_profile_id(api, holder)
    kept = await api.client.put(
        f"/v1/profiles/{me}/subscriptions/{card['id']}", headers=holder.headers
    )
    assert kept.status_code == 201
    async with (
        ready_socket(live_server, holder) as theirs,
        ready_socket(live_server, stranger) as unrelated,
    ):
        edited = await api.client.patch(
            f"/v1/cards/{card['id']}",
            json={"name": "Ada L.", "data": {"given_name": "Ada", "title": "Analyst"}},
            headers=owner.headers,
        )
        assert edited.status_code == 200, edited.text
        assert await receive(theirs) == {"type": "sync"}
        await nothing_arrives(theirs, hints=True)  # one transaction, one hint
        await nothing_arrives(unrelated, 0.1, hints=True)

        removed = await api.client.delete(
            f"/v1/profiles/{me}/subscriptions/{card['id']}", headers=holder.headers
        )
        assert removed.status_code == 204
        assert await receive(theirs) == {"type": "sync"}


async def test_chat_posts_and_read_markers_publish_no_hint(api: Api, live_server: str) -> None:  # noqa: F811
    owner, friend = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, friend)
    async with (
        ready_socket(live_server, owner) as mine,
        ready_socket(live_server, friend) as theirs,
    ):
        posted = await post(api.client, owner, chat["id"], "hello")
        assert await next_events(mine, 1) == [posted]
        assert await next_events(theirs, 1) == [posted]
        read = await api.client.post(
            f"/v1/chats/{chat['id']}/read", json={"index": posted["index"]}, headers=friend.headers
        )
        assert read.status_code in (200, 204), read.text
        await nothing_arrives(mine, 0.3, hints=True)
        await nothing_arrives(theirs, 0.3, hints=True)


async def test_hints_cross_instances_through_the_pubsub() -> None:
    """Two hubs on one cache stand for two instances: a hint published once reaches the
    user's connections on both, and nobody else's."""
    cache = MemoryCache()
    hubs = [Hub(cache, typing_audience=lambda user, chat: asyncio.sleep(0, None)) for _ in "ab"]
    user, other = uuid.uuid4(), uuid.uuid4()
    async with (
        hubs[0].connect(user_id=user, session_id=uuid.uuid4()) as first,
        hubs[1].connect(user_id=user, session_id=uuid.uuid4()) as second,
        hubs[1].connect(user_id=other, session_id=uuid.uuid4()) as bystander,
    ):
        await publish_sync_hints(cache, [user, user])
        await publish_sync_hints(cache, [])
        for connection in (first, second):
            await asyncio.wait_for(connection.wait(), 5)
            assert connection.take() == ['{"type":"sync"}']
        await asyncio.sleep(0.05)
        assert bystander.take() == []
    for hub in hubs:
        await hub.close()
