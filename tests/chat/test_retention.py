"""Retention (issue 27): a chat's owner keeps messages 1 day to 10 years (at most the
server's maximum); the worker redacts older ones in batches, keeping every index."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bca.backends import Backends
from bca.chat import retention
from bca.chat.models import Chat, ChatEvent, Mention, Pin, Reaction
from bca.core.time import utcnow
from tests.factories.accounts import Api
from tests.factories.cards import stored_objects
from tests.factories.chat import chat_user, events, new_chat, post, upload


async def test_old_messages_are_redacted_in_batches_and_the_rest_kept(
    api: Api, backends: Backends, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = api.client
    owner, member = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, member, title="kept a week")
    other = await new_chat(api, owner, member, title="kept forever")
    attachment = await upload(client, member, "an old attachment")
    old = [
        await post(client, owner, chat["id"], "old one"),
        await post(client, member, chat["id"], "", file_id=attachment["id"]),
        await post(client, member, chat["id"], "old three"),
    ]
    kept_elsewhere = await post(client, owner, other["id"], "old but kept")
    recent = await post(client, member, chat["id"], "recent")
    async with backends.database.transaction() as session:
        for chat_id, indexes in (
            (chat["id"], [e["index"] for e in old]),
            (other["id"], [kept_elsewhere["index"]]),
        ):
            await session.execute(
                update(ChatEvent)
                .where(ChatEvent.chat_id == uuid.UUID(chat_id), ChatEvent.index.in_(indexes))
                .values(created_at=utcnow() - timedelta(days=10))
            )
            await session.execute(
                update(Chat)
                .where(Chat.id == uuid.UUID(chat_id))
                .values(created_at=utcnow() - timedelta(days=11))
            )

    refused = await client.patch(
        f"/v1/chats/{chat['id']}", json={"retention_days": 7}, headers=member.headers
    )
    assert refused.status_code == 403
    for bad in (0, 3651, "a week"):
        invalid = await client.patch(
            f"/v1/chats/{chat['id']}", json={"retention_days": bad}, headers=owner.headers
        )
        assert invalid.status_code == 422, bad
    backends.settings.chat_retention_max_days = 5
    over = await client.patch(
        f"/v1/chats/{chat['id']}", json={"retention_days": 7}, headers=owner.headers
    )
    assert (over.status_code, over.json()["errors"][0]["loc"]) == (422, ["body", "retention_days"])
    backends.settings.chat_retention_max_days = None
    set_ = await client.patch(
        f"/v1/chats/{chat['id']}", json={"retention_days": 7}, headers=owner.headers
    )
    assert set_.status_code == 200, set_.text
    assert set_.json()["retention_days"] == 7

    before = await events(client, member, chat["id"])
    key = f"files/{attachment['id']}"
    assert key in await stored_objects(backends)
    monkeypatch.setattr(retention, "BATCH", 2)
    counted = retention.REDACTED._value.get()
    with caplog.at_level(logging.INFO, logger="bca.chat.retention"):
        await retention.apply_retention(backends)
    await backends.tasks.drain()
    progress = [r.getMessage() for r in caplog.records if "redacted so far" in r.getMessage()]
    assert progress == [
        f"retention: chat {chat['id']}, 2 messages redacted so far",
        f"retention: chat {chat['id']}, 3 messages redacted so far",
    ]
    assert retention.REDACTED._value.get() == counted + 3

    after = await events(client, member, chat["id"])
    assert [e["index"] for e in after] == [e["index"] for e in before]
    by_index = {e["index"]: e for e in after}
    for event in old:
        redacted = by_index[event["index"]]
        assert redacted["body"] is None
        assert redacted["file"] is None
        assert redacted["deleted_at"] is not None
        assert redacted["profile_id"] == event["profile_id"]
    assert by_index[recent["index"]]["body"] == "recent"
    assert {e["type"] for e in after if e["index"] < old[0]["index"]} == {"member_joined"}
    assert key not in await stored_objects(backends)
    elsewhere = await events(client, member, other["id"])
    assert "old but kept" in {e["body"] for e in elsewhere}

    # The server's maximum applies to every chat, with a setting of its own or not.
    backends.settings.chat_retention_max_days = 5
    await retention.apply_retention(backends)
    elsewhere = await events(client, member, other["id"])
    assert "old but kept" not in {e["body"] for e in elsewhere}
    assert len(elsewhere) == len(await events(client, owner, other["id"]))


def test_the_shorter_period_applies() -> None:
    assert retention.period(None, None) is None
    assert retention.period(30, None) == 30
    assert retention.period(None, 90) == 90
    assert retention.period(30, 90) == 30
    assert retention.period(365, 90) == 90


async def test_a_redacted_message_takes_its_reactions_mentions_preview_and_pin_with_it(
    api: Api, backends: Backends
) -> None:
    client = api.client
    owner, member = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, owner, member, title="kept a day")
    chat_id = chat["id"]
    old = await post(client, owner, chat_id, f"<@{member.profile_id}> see http://example.com")
    recent = await post(client, owner, chat_id, "recent")
    for message in (old, recent):
        reacted = await client.put(
            f"/v1/chats/{chat_id}/messages/{message['index']}/reactions/%F0%9F%91%8D",
            headers=member.headers,
        )
        assert reacted.status_code == 200, reacted.text
        pinned = await client.put(
            f"/v1/chats/{chat_id}/pins/{message['index']}", headers=owner.headers
        )
        assert pinned.status_code == 200, pinned.text
    async with backends.database.transaction() as session:
        await session.execute(
            update(ChatEvent)
            .where(ChatEvent.chat_id == uuid.UUID(chat_id), ChatEvent.index == old["index"])
            .values(
                created_at=utcnow() - timedelta(days=3),
                preview={"url": "http://example.com", "title": "Example"},
            )
        )
        await session.execute(
            update(Chat).where(Chat.id == uuid.UUID(chat_id)).values(retention_days=1)
        )
    before = await events(client, member, chat_id)

    await retention.apply_retention(backends)
    await backends.tasks.drain()

    after = await events(client, member, chat_id)
    by_index = {event["index"]: event for event in after}
    redacted = by_index[old["index"]]
    assert (redacted["body"], redacted["reactions"], redacted["preview"]) == (None, None, None)
    assert by_index[recent["index"]]["reactions"] == [{"emoji": "👍", "count": 1, "mine": True}]
    # The pin's removal is an event of the log, in the pinner's name, after what was there.
    (unpinned,) = after[len(before) :]
    assert (unpinned["type"], unpinned["target_index"], unpinned["profile_id"]) == (
        "message_unpinned",
        old["index"],
        owner.profile_id,
    )
    pins = (await client.get(f"/v1/chats/{chat_id}/pins", headers=owner.headers)).json()
    assert [pin["index"] for pin in pins["items"]] == [recent["index"]]
    async with backends.database.transaction() as session:
        for table in (Reaction, Mention, Pin):
            left = await session.scalars(
                select(table.message_index).where(table.chat_id == uuid.UUID(chat_id))
            )
            assert old["index"] not in set(left.all()), table.__tablename__
    seen = (await client.get(f"/v1/chats/{chat_id}", headers=member.headers)).json()
    assert seen["unread_mentions"] == 0
    assert (await client.get("/v1/mentions", headers=member.headers)).json()["items"] == []
