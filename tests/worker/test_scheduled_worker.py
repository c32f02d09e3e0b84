"""Scheduled messages on Celery with Redis: a worker killed (SIGKILL) while a batch is due
sends nothing half-way; the restarted worker sends each message exactly once, on time.

Costs about 30 s: two real ``bca worker --beat`` processes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from bca.backends import Backends
from bca.chat.models import ScheduledMessage
from bca.chat.scheduled import TEST_DELAY_VARIABLE
from bca.settings import Settings
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import events, first_profile_id, relate
from tests.fixtures.worker import WorkerProcess, eventually, worker_env

# The Celery-on-Redis fixtures (postgres stack, broker database 11 flushed around each test).
from tests.worker.test_worker_kill import (  # noqa: F401  # fixtures, used by name
    clean_broker,
    direct_user,
    settings_overrides,
    stack,
)

BATCH = 5


async def chat_of_two(api: Api, backends: Backends) -> tuple[TestUser, TestUser, str]:
    ann, bob = await direct_user(api, backends), await direct_user(api, backends)
    for user in (ann, bob):
        user.profile_id = await first_profile_id(api.client, user)
    await relate(api, bob, ann)
    response = await api.client.post(
        "/v1/chats",
        json={"profile_id": ann.profile_id, "participant_ids": [bob.profile_id]},
        headers=ann.headers,
    )
    assert response.status_code == 201, response.text
    return ann, bob, str(response.json()["id"])


async def schedule(
    client: httpx.AsyncClient, user: TestUser, chat_id: str, body: str, *, seconds: float
) -> str:
    send_at = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
    response = await client.post(
        f"/v1/chats/{chat_id}/messages",
        json={"body": body, "send_at": send_at},
        headers=user.headers,
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def statuses(backends: Backends, ids: list[str]) -> list[str]:
    async with backends.database.transaction() as session:
        rows = await session.scalars(
            select(ScheduledMessage.status).where(
                ScheduledMessage.id.in_([uuid.UUID(i) for i in ids])
            )
        )
        return list(rows)


@pytest.mark.usefixtures("clean_broker")
async def test_a_batch_due_when_the_worker_is_killed_is_sent_once_after_its_restart(
    api: Api, client: httpx.AsyncClient, backends: Backends, settings: Settings
) -> None:
    ann, bob, chat_id = await chat_of_two(api, backends)
    bodies = [f"scheduled {n}" for n in range(BATCH)]
    ids = [await schedule(client, ann, chat_id, body, seconds=3600) for body in bodies]
    async with backends.database.transaction() as session:  # due now
        await session.execute(
            update(ScheduledMessage)
            .where(ScheduledMessage.id.in_([uuid.UUID(i) for i in ids]))
            .values(send_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    slow = WorkerProcess.start(
        worker_env(settings, **{TEST_DELAY_VARIABLE: "60"}), "--pool=solo", "--beat"
    )
    try:
        await slow.wait_for_log("sending a scheduled message")
        slow.kill()  # mid-send: posted, not committed
    finally:
        slow.stop()
    assert slow.count("scheduled message sent") == 0
    assert [e for e in await events(client, bob, chat_id) if e["type"] == "message"] == []
    assert await statuses(backends, ids) == ["scheduled"] * BATCH

    restarted = WorkerProcess.start(worker_env(settings), "--pool=solo", "--beat")
    try:
        await restarted.wait_for_log("ready")
        on_time = await schedule(client, ann, chat_id, "on time", seconds=4)

        async def all_sent() -> list[dict[str, Any]] | None:
            posted = [e for e in await events(client, bob, chat_id) if e["type"] == "message"]
            return posted if len(posted) >= BATCH + 1 else None

        posted = await eventually(all_sent, timeout=45)
        await restarted.wait_for_log("scheduled message sent")
    finally:
        restarted.stop()
    assert sorted(e["body"] for e in posted) == sorted([*bodies, "on time"])  # each once
    assert await statuses(backends, [*ids, on_time]) == ["sent"] * (BATCH + 1)
    assert restarted.count("scheduled message sent") == BATCH + 1

    async with backends.database.transaction() as session:
        row = await session.get(ScheduledMessage, uuid.UUID(on_time))
        assert row is not None
        send_at = row.send_at
    sent = next(e for e in posted if e["body"] == "on time")
    late = datetime.fromisoformat(sent["created_at"]) - send_at
    assert timedelta(0) <= late < timedelta(seconds=4)  # the sweep runs every 2 s
