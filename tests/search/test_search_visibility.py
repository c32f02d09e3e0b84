"""Who finds what through ``GET /v1/search``, one rule at a time, on both stacks: what a
person may see is found, and nothing else (``bca.search.repository``'s rules)."""

from __future__ import annotations

from typing import Any

from tests.factories.accounts import Api, TestUser
from tests.factories.cards import create_card
from tests.factories.chat import chat_user, new_chat, post, relate
from tests.search.test_search_http import search


async def found(api: Api, user: TestUser, q: str, kind: str, **params: Any) -> list[str]:
    return [hit["id"] for hit in (await search(api, user, q, kinds=kind, **params))[kind]["hits"]]


async def message_texts(api: Api, user: TestUser, q: str, **params: Any) -> list[str]:
    result = await search(api, user, q, kinds="messages", **params)
    return sorted(hit["text"] for hit in result["messages"]["hits"])


# --- messages ---------------------------------------------------------------------------------


async def test_messages_are_found_by_participants_only(api: Api) -> None:
    alice, bob, eve = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, alice, bob)
    other = await new_chat(api, alice, eve)
    await post(api.client, alice, chat["id"], "분기 매출 보고서")
    await post(api.client, alice, other["id"], "분기 매출 초안")
    assert await message_texts(api, bob, "매출") == ["분기 매출 보고서"]
    assert await message_texts(api, eve, "매출") == ["분기 매출 초안"]
    assert await message_texts(api, alice, "매출") == ["분기 매출 보고서", "분기 매출 초안"]
    assert await message_texts(api, alice, "매출", chat_id=chat["id"]) == ["분기 매출 보고서"]
    # chat_id of a chat one is not in: nothing, like an unknown one.
    assert await message_texts(api, eve, "매출", chat_id=chat["id"]) == []


async def test_a_participant_who_left_finds_the_chat_up_to_their_departure_as_it_was(
    api: Api,
) -> None:
    alice, bob = await chat_user(api), await chat_user(api)
    carol = await chat_user(api)
    chat = await new_chat(api, alice, bob, carol)
    before = await post(api.client, alice, chat["id"], "계약서 초안 공유")
    response = await api.client.delete(
        f"/v1/chats/{chat['id']}/participants/{bob.profile_id}", headers=bob.headers
    )
    assert response.status_code == 204, response.text
    await post(api.client, alice, chat["id"], "계약서 최종본 공유")
    response = await api.client.patch(
        f"/v1/chats/{chat['id']}/messages/{before['index']}",
        json={"body": "계약서 수정본 공유"},
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    # Bob: the message as it was when he left, not the edit, not what came after.
    assert await message_texts(api, bob, "계약서") == ["계약서 초안 공유"]
    assert await message_texts(api, bob, "수정본") == []
    assert await message_texts(api, bob, "최종본") == []
    # Carol, still there: the current texts.
    assert await message_texts(api, carol, "계약서") == ["계약서 수정본 공유", "계약서 최종본 공유"]
    assert await message_texts(api, carol, "초안") == []


async def test_a_deleted_message_is_found_by_nobody(api: Api) -> None:
    alice, bob, carol = await chat_user(api), await chat_user(api), await chat_user(api)
    chat = await new_chat(api, alice, bob, carol)
    message = await post(api.client, alice, chat["id"], "비밀번호는 0000입니다")
    response = await api.client.delete(
        f"/v1/chats/{chat['id']}/participants/{carol.profile_id}", headers=carol.headers
    )
    assert response.status_code == 204
    assert await message_texts(api, bob, "비밀번호") == ["비밀번호는 0000입니다"]
    response = await api.client.delete(
        f"/v1/chats/{chat['id']}/messages/{message['index']}", headers=alice.headers
    )
    assert response.status_code == 204
    for user in (alice, bob, carol):
        assert await message_texts(api, user, "비밀번호") == []


# --- cards ------------------------------------------------------------------------------------


async def test_cards_are_found_when_mine_or_in_my_wallet(api: Api) -> None:
    alice, bob, eve = await chat_user(api), await chat_user(api), await chat_user(api)
    mine = await create_card(api, alice, name="알파상사 김대표", data={"title": "대표이사"})
    held = await create_card(
        api, bob, name="알파물산 이부장", data={"emails": [{"value": "lee@alpha.kr"}]}
    )
    stranger = await create_card(api, eve, name="알파전자 박과장")
    response = await api.client.put(
        f"/v1/profiles/{alice.profile_id}/subscriptions/{held['id']}", headers=alice.headers
    )
    assert response.status_code == 201, response.text
    assert sorted(await found(api, alice, "알파", "cards")) == sorted([mine["id"], held["id"]])
    assert await found(api, alice, "alpha.kr", "cards") == [held["id"]]
    assert await found(api, eve, "알파", "cards") == [stranger["id"]]
    # profile_id narrows to what that profile holds (its own cards and its wallet).
    assert await found(api, bob, "알파", "cards", profile_id=bob.profile_id) == [held["id"]]


async def test_deleted_cards_and_cards_of_blocked_profiles_are_not_found(api: Api) -> None:
    alice, bob = await chat_user(api), await chat_user(api)
    gone = await create_card(api, alice, name="베타솔루션 명함")
    held = await create_card(api, bob, name="베타테크 명함")
    response = await api.client.put(
        f"/v1/profiles/{alice.profile_id}/subscriptions/{held['id']}", headers=alice.headers
    )
    assert response.status_code == 201
    assert sorted(await found(api, alice, "베타", "cards")) == sorted([gone["id"], held["id"]])
    response = await api.client.delete(f"/v1/cards/{gone['id']}", headers=alice.headers)
    assert response.status_code == 204
    await relate(api, bob, alice, "block")
    assert await found(api, alice, "베타", "cards") == []


async def test_cards_of_a_deactivated_account_are_not_found_even_in_my_wallet(api: Api) -> None:
    alice, bob = await chat_user(api), await chat_user(api)
    held = await create_card(api, bob, name="엡실론 물류 명함")
    response = await api.client.put(
        f"/v1/profiles/{alice.profile_id}/subscriptions/{held['id']}", headers=alice.headers
    )
    assert response.status_code == 201
    assert await found(api, alice, "엡실론", "cards") == [held["id"]]
    response = await api.client.request(
        "DELETE", "/v1/me", json={"password": bob.password}, headers=bob.headers
    )
    assert response.status_code == 204, response.text
    assert await found(api, alice, "엡실론", "cards") == []


# --- contacts ---------------------------------------------------------------------------------


async def test_contacts_are_found_by_their_keeper_alone(api: Api) -> None:
    alice, bob = await chat_user(api), await chat_user(api)
    response = await api.client.post(
        f"/v1/profiles/{alice.profile_id}/contacts",
        json={"name": "홍길동", "organization": "감마건설", "phones": [{"value": "010-2345-6789"}]},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    contact = response.json()
    assert await found(api, alice, "ㅎㄱㄷ", "contacts") == [contact["id"]]
    assert await found(api, alice, "6789", "contacts") == [contact["id"]]
    assert await found(api, bob, "홍길동", "contacts") == []
    response = await api.client.delete(
        f"/v1/profiles/{alice.profile_id}/contacts/{contact['id']}", headers=alice.headers
    )
    assert response.status_code == 204, response.text
    assert await found(api, alice, "홍길동", "contacts") == []


# --- profiles ---------------------------------------------------------------------------------


async def _profile(api: Api, user: TestUser, **fields: Any) -> dict[str, Any]:
    response = await api.client.post("/v1/profiles", json=fields, headers=user.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_public_profiles_are_found_private_ones_by_those_who_relate_and_blocked_never(
    api: Api,
) -> None:
    alice, bob, carol, eve = [await chat_user(api) for _ in range(4)]
    public = await _profile(api, bob, name="델타 디자인", team_name="브랜딩팀")
    private = await _profile(
        api, carol, name="델타 컨설팅", team_name="전략팀", private=True, email="ceo@delta.io"
    )
    assert await found(api, alice, "델타", "profiles") == [public["id"]]
    assert await found(api, alice, "브랜딩팀", "profiles") == [public["id"]]
    # A follow request relates me to the private profile: its name is found, not its fields.
    response = await api.client.put(
        f"/v1/profiles/{alice.profile_id}/relations/{private['id']}",
        json={"status": "follow"},
        headers=alice.headers,
    )
    assert response.json()["status"] == "follow_requested"
    assert sorted(await found(api, alice, "델타", "profiles")) == sorted(
        [public["id"], private["id"]]
    )
    assert await found(api, alice, "delta.io", "profiles") == []
    # Accepted: every field.
    response = await api.client.post(
        f"/v1/profiles/{private['id']}/followers/{alice.profile_id}/accept", headers=carol.headers
    )
    assert response.status_code == 204, response.text
    assert await found(api, alice, "delta.io", "profiles") == [private["id"]]
    assert await found(api, eve, "델타 컨설팅", "profiles") == []
    # Blocked (either way): not found at all.
    response = await api.client.put(
        f"/v1/profiles/{public['id']}/relations/{alice.profile_id}",
        json={"status": "block"},
        headers=bob.headers,
    )
    assert response.status_code == 200, response.text
    assert await found(api, alice, "델타", "profiles") == [private["id"]]
    assert public["id"] in await found(api, eve, "델타", "profiles")
