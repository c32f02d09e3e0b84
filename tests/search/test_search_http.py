"""``GET /v1/search`` through HTTP on both stacks: the route, its answer's shape, its errors,
and the index kept by the worker after posts, edits and deletions."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bca.backends import Backends
from bca.search.tasks import reindex_all
from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, new_chat, post


async def search(api: Api, user: TestUser, q: str, **params: Any) -> dict[str, Any]:
    await api.backends.tasks.drain()
    response = await api.client.get("/v1/search", params={"q": q, **params}, headers=user.headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def texts(found: dict[str, Any], kind: str) -> list[str]:
    return [hit["text"] for hit in found[kind]["hits"]]


async def test_a_posted_message_is_found_with_its_matched_ranges(api: Api) -> None:
    alice, bob = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, alice, bob)
    await post(api.client, alice, chat["id"], "삼성전자영업팀장과 회의했습니다")
    await post(api.client, alice, chat["id"], "점심 뭐 먹을까요")
    found = await search(api, bob, "영업팀장님과", kinds="messages")
    hits = found["messages"]["hits"]
    assert [hit["text"] for hit in hits] == ["삼성전자영업팀장과 회의했습니다"]
    assert hits[0]["ranges"] == [[4, 8]]
    assert hits[0]["chat_id"] == chat["id"]
    assert hits[0]["profile_id"] == alice.profile_id
    assert found["cards"] is None


async def test_an_edited_message_is_found_by_its_current_text_and_a_deleted_one_not_at_all(
    api: Api,
) -> None:
    alice, bob = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, alice, bob)
    first = await post(api.client, alice, chat["id"], "결제 요청드립니다")
    second = await post(api.client, alice, chat["id"], "결제 완료")
    response = await api.client.patch(
        f"/v1/chats/{chat['id']}/messages/{first['index']}",
        json={"body": "견적 요청드립니다"},
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    response = await api.client.delete(
        f"/v1/chats/{chat['id']}/messages/{second['index']}", headers=alice.headers
    )
    assert response.status_code == 204, response.text
    assert texts(await search(api, bob, "결제", kinds="messages"), "messages") == []
    assert texts(await search(api, bob, "견적", kinds="messages"), "messages") == [
        "견적 요청드립니다"
    ]


async def test_bad_parameters_are_422_and_a_foreign_profile_404(api: Api) -> None:
    alice, bob = await chat_user(api), await chat_user(api)
    cases: list[dict[str, str | int]] = [
        {"q": ""},
        {"q": "x", "kinds": "messages,nope"},
        {"q": "x", "limit": 0},
        {"q": "x", "cursor": "!!"},
        {"q": "x", "cursor": "WyJ4Il0"},
    ]
    for params in cases:
        response = await api.client.get("/v1/search", params=params, headers=alice.headers)
        assert response.status_code == 422, (params, response.text)
    response = await api.client.get(
        "/v1/search", params={"q": "x", "profile_id": bob.profile_id}, headers=alice.headers
    )
    assert response.status_code == 404
    response = await api.client.get("/v1/search", params={"q": "x"})
    assert response.status_code == 401


async def test_pages_of_one_kind_follow_the_cursor(api: Api, backends: Backends) -> None:
    alice, bob = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, alice, bob)
    for n in range(5):
        await post(api.client, alice, chat["id"], f"invoice {n} sent")
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        params: dict[str, Any] = {"kinds": "messages", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        found = await search(api, bob, "Invoice", **params)
        seen += texts(found, "messages")
        cursor = found["messages"]["next_cursor"]
    assert sorted(seen) == [f"invoice {n} sent" for n in range(5)]
    assert cursor is None
    assert len(set(seen)) == 5


async def test_the_contacts_and_profile_lists_q_use_the_same_tokens(api: Api) -> None:
    alice, bob = await chat_user(api), await chat_user(api)
    response = await api.client.post(
        f"/v1/profiles/{alice.profile_id}/contacts",
        json={"name": "홍길동", "organization": "감마건설", "phones": [{"value": "010-2345-6789"}]},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text

    async def contacts(q: str) -> list[str]:
        found = await api.client.get(
            f"/v1/profiles/{alice.profile_id}/contacts", params={"q": q}, headers=alice.headers
        )
        assert found.status_code == 200, found.text
        return [item["name"] for item in found.json()["items"]]

    # Found at once (indexed in the writing transaction), by initials, a word with its
    # particle, any four digits.
    for q in ("ㅎㄱㄷ", "감마건설에서", "홍길동님", "23456789"):
        assert await contacts(q) == ["홍길동"], q
    assert await contacts("감마건축") == []

    response = await api.client.post(
        "/v1/profiles", json={"name": "델타컨설팅 대표"}, headers=bob.headers
    )
    assert response.status_code == 201, response.text
    found = await api.client.get(
        "/v1/profiles/search", params={"q": "델타컨설팅의"}, headers=alice.headers
    )
    assert found.status_code == 200, found.text
    assert [item["name"] for item in found.json()["items"]] == ["델타컨설팅 대표"]


async def test_concurrent_writes_touching_one_profile_do_not_conflict_on_its_entries(
    api: Api,
) -> None:
    """A follow touches the followed profile (its entries are compared, not rewritten):
    ten people following one profile at once all succeed."""
    owner = await chat_user(api)
    fans = [await chat_user(api) for _ in range(10)]

    async def follow(fan: TestUser) -> int:
        response = await api.client.put(
            f"/v1/profiles/{fan.profile_id}/relations/{owner.profile_id}",
            json={"status": "follow"},
            headers=fan.headers,
        )
        return response.status_code

    assert await asyncio.gather(*(follow(fan) for fan in fans)) == [200] * 10


async def test_a_message_is_found_within_two_seconds_without_waiting_for_the_worker(
    api: Api,
) -> None:
    alice, bob = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, alice, bob)
    await post(api.client, alice, chat["id"], "2초 안에 찾아지는 메시지")
    started = time.monotonic()
    while True:
        response = await api.client.get(
            "/v1/search", params={"q": "메시지", "kinds": "messages"}, headers=bob.headers
        )
        if response.json()["messages"]["hits"]:
            break
        assert time.monotonic() - started < 2.0, "not searchable within 2 s"
        await asyncio.sleep(0.05)


async def test_reindex_rebuilds_the_same_index_with_its_counts(api: Api) -> None:
    alice, bob = await chat_user(api), await chat_user(api)
    chat = await new_chat(api, alice, bob)
    await post(api.client, alice, chat["id"], "재색인 확인용 견적서")
    response = await api.client.post(
        f"/v1/profiles/{alice.profile_id}/contacts",
        json={"name": "재색인 연락처"},
        headers=alice.headers,
    )
    assert response.status_code == 201
    before = await search(api, alice, "재색인")
    progress: list[tuple[str, int]] = []
    counts = await reindex_all(
        api.backends, progress=lambda what, done: progress.append((what, done))
    )
    assert counts["chats"] >= 1
    assert counts["contacts"] >= 1
    assert counts["profiles"] >= 2
    assert ("contacts", counts["contacts"]) in progress
    after = await search(api, alice, "재색인")
    assert texts(after, "messages") == texts(before, "messages") == ["재색인 확인용 견적서"]
    assert texts(after, "contacts") == texts(before, "contacts") == ["재색인 연락처"]
