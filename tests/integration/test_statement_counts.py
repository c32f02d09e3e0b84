"""The SQL statements of the message path, counted on PostgreSQL (as Zulip's query-count tests).

A post, a read-marker update and a long-poll wake-up must stay a handful of statements, the
same whatever the number of members and the length of the chat's history: a regression that
adds a statement (or a per-member loop) fails here, long before a benchmark would notice.
Each test prints the statements it saw, so a failure shows what changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bca.backends import Backends
from bca.settings import Settings
from tests.conftest import second_instance
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, long_poll_woken_by, new_chat, post

MEMBERS = 8


@pytest.fixture
def stack() -> str:
    return "postgres"


def in_background_task() -> bool:
    """The embedded task queue's tasks (push delivery after a post, say) run beside the
    requests, named ``task:<name>`` or ``periodic:<name>``: their statements are not the
    request's."""
    task = asyncio.current_task()
    return task is not None and task.get_name().startswith(("task:", "periodic:"))


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every statement the engine sends for the requests, and every COMMIT."""
    statements: list[str] = []

    def executed(*args: Any) -> None:
        if not in_background_task():
            statements.append(" ".join(str(args[2]).split())[:120])

    def committed(*_: Any) -> None:
        if not in_background_task():
            statements.append("COMMIT")

    target = engine.sync_engine
    event.listen(target, "before_cursor_execute", executed)
    event.listen(target, "commit", committed)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", executed)
        event.remove(target, "commit", committed)


def show(statements: list[str]) -> str:
    return "\n".join(statements)


async def busy_chat(api: Api, history: int) -> tuple[list[TestUser], str]:
    users = [await chat_user(api) for _ in range(MEMBERS)]
    chat = await new_chat(api, users[0], *users[1:])
    for n in range(history):
        await post(api.client, users[n % MEMBERS], chat["id"], f"m{n}")
    return users, chat["id"]


@pytest.mark.parametrize("history", [1, 60])
async def test_a_post_is_four_statements_and_a_commit(
    api: Api, backends: Backends, history: int
) -> None:
    users, chat_id = await busy_chat(api, history)
    with counting(backends.database.engine) as statements:
        await post(api.client, users[1], chat_id, "counted")
    # session; index (the chat's lock); the event with the read marker and the participants;
    # the poster's change-log entry; the commit.
    assert len(statements) == 5, show(statements)
    assert statements[-1] == "COMMIT"
    # Other writers of the chat wait from the lock to the commit: three round trips.
    locked = next(
        n for n, statement in enumerate(statements) if statement.startswith("UPDATE chats")
    )
    assert len(statements) - locked == 4, show(statements)

    with counting(backends.database.engine) as statements:
        response = await api.client.post(
            f"/v1/chats/{chat_id}/messages",
            json={"body": "once"},
            headers=users[2].headers | {"Idempotency-Key": "k1"},
        )
        assert response.status_code == 201
    # ... plus the key's claim (its result is written with the event).
    assert len(statements) == 6, show(statements)


async def test_a_read_marker_is_three_statements_and_a_commit(api: Api, backends: Backends) -> None:
    users, chat_id = await busy_chat(api, 5)  # users[6] has read up to the joins (8)
    with counting(backends.database.engine) as statements:
        response = await api.client.post(
            f"/v1/chats/{chat_id}/read", json={"index": 10}, headers=users[6].headers
        )
        assert response.status_code == 204
    # session, marker (membership and bounds in the same UPDATE), change-log entry.
    assert len(statements) == 4, show(statements)


async def test_a_receivers_long_polls_read_nothing_but_the_first(
    api: Api, backends: Backends, settings: Settings
) -> None:
    users, chat_id = await busy_chat(api, 3)
    url = f"/v1/chats/{chat_id}/events"
    after = (await api.client.get(url, headers=users[1].headers)).json()["next_after"]
    with counting(backends.database.engine) as plain:
        await api.client.get(url, params={"after": after - 1}, headers=users[1].headers)

    async with second_instance(settings) as (_, other):
        with counting(backends.database.engine) as first:
            page = await long_poll_woken_by(
                api.client,
                users[1],
                chat_id,
                after,
                poster=users[2],
                body="wake",
                poster_client=other,
            )
        with counting(backends.database.engine) as next_ones:
            for n in range(3):
                page = await long_poll_woken_by(
                    api.client,
                    users[1],
                    chat_id,
                    page["next_after"],
                    poster=users[2],
                    body=f"again {n}",
                    poster_client=other,
                )
    # The plain read's statements (session, membership, page) without its transaction: the
    # wake-up itself reads nothing.
    assert len(first) == len(plain) - 1 == 3, show(first)
    assert plain[-1] == "COMMIT"
    # From the event it was given, the hub knows there is nothing newer and that the receiver
    # takes part, and the session was found live moments ago: no statement at all.
    assert next_ones == [], show(next_ones)
