"""A person's reactions, mentions, pins and forwarded origins under erasure (``bca.rights``,
declared in the chat manifest): nothing of theirs is left, the others' counts drop, forwarded
copies name "a deleted profile"."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bca.backends import Backends
from bca.rights.erasure import ERASED_PROFILE_ID, erase_due
from bca.rights.residue import residue_of
from tests.chat.test_conversations import message_as_seen, react
from tests.factories.accounts import Api
from tests.factories.chat import chat_user, new_chat, post


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"erasure_grace_days": 0}


async def test_an_erased_persons_reactions_mentions_pins_and_origins_go(
    api: Api, backends: Backends
) -> None:
    gone, stays, third = [await chat_user(api) for _ in range(3)]
    chat = await new_chat(api, gone, stays)
    other = await new_chat(api, stays, third)
    theirs = await post(api.client, gone, chat["id"], f"hi <@{stays.profile_id}>")
    mine = await post(api.client, stays, chat["id"], f"hello <@{gone.profile_id}>")
    for user in (gone, stays):
        await react(api, user, chat["id"], mine["index"], "👍")
    pinned = await api.client.put(
        f"/v1/chats/{chat['id']}/pins/{mine['index']}", headers=gone.headers
    )
    assert pinned.status_code == 200, pinned.text
    forwarded = await api.client.post(
        f"/v1/chats/{chat['id']}/messages/{theirs['index']}/forward",
        json={"chat_id": other["id"]},
        headers=stays.headers,
    )
    assert forwarded.status_code == 201, forwarded.text
    async with backends.database.transaction() as session:
        before = {
            item.name for item in await residue_of(session, backends.storage, uuid.UUID(gone.id))
        }
    assert {"chat_reactions", "chat_mentions", "chat_pins"} <= before

    deleted = await api.client.request(
        "DELETE", "/v1/me", json={"password": gone.password}, headers=gone.headers
    )
    assert deleted.status_code == 204, deleted.text
    await erase_due(backends)
    await backends.tasks.drain()

    async with backends.database.transaction() as session:
        assert not list(await residue_of(session, backends.storage, uuid.UUID(gone.id)))
    seen = await message_as_seen(api, stays, chat["id"], mine["index"])
    assert seen["reactions"] == [{"emoji": "👍", "count": 1, "mine": True}]
    pins = (await api.client.get(f"/v1/chats/{chat['id']}/pins", headers=stays.headers)).json()
    assert pins["items"] == []
    copy = await message_as_seen(api, third, other["id"], forwarded.json()["index"])
    assert copy["forwarded"]["profile_id"] == str(ERASED_PROFILE_ID)
