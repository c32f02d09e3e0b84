"""Reports of messages, profiles and cards (issue 26, part 4): who may report what, the
reporter's copy of a message, and the moderator's actions (each audited) with the outcome the
reporter reads."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from bca.accounts.models import User
from bca.admin import service as admin
from bca.admin.models import AuditRecord
from bca.core.errors import AppError
from bca.moderation.models import Report
from tests.factories.accounts import Api, TestUser
from tests.factories.cards import create_card
from tests.factories.chat import chat_user, events, new_chat, post


async def _report(api: Api, user: TestUser, **body: Any) -> Any:
    return await api.client.post(
        f"/v1/profiles/{user.profile_id}/reports",
        json={"reason": "harassment"} | body,
        headers=user.headers,
    )


async def _act(api: Api, admin_user: TestUser, report_id: str, action: str) -> AuditRecord:
    async with api.backends.database.transaction() as session:
        actor = await session.get(User, uuid.UUID(admin_user.id))
        return await admin.perform_named(
            session,
            api.backends,
            actor=admin.Actor(actor, "127.0.0.1"),
            on=("report", action),
            target_id=uuid.UUID(report_id),
            reason="checked",
        )


async def test_a_reported_message_is_kept_as_the_reporter_saw_it_and_removed_for_everyone(
    api: Api,
) -> None:
    owner, member, stranger = await chat_user(api), await chat_user(api), await chat_user(api)
    moderator = await api.user(admin=True)
    chat = await new_chat(api, owner, member)
    await post(api.client, member, chat["id"], "before")
    nasty = await post(api.client, member, chat["id"], "you are awful")

    report = await _report(
        api, owner, kind="message", chat_id=chat["id"], index=nasty["index"], text="rude"
    )
    assert report.status_code == 201, report.text
    body = report.json()
    assert body["status"] == "open"
    assert body["message_body"] == "you are awful"
    assert body["profile_id"] == member.profile_id

    # Not a participant, no such message, a message report without one: like missing.
    assert (
        await _report(api, stranger, kind="message", chat_id=chat["id"], index=nasty["index"])
    ).status_code == 404
    assert (
        await _report(api, owner, kind="message", chat_id=chat["id"], index=999)
    ).status_code == 404
    assert (await _report(api, owner, kind="message", chat_id=chat["id"])).status_code == 422
    assert (
        await _report(api, owner, kind="message", chat_id=chat["id"], index=1, card_id=chat["id"])
    ).status_code == 422
    assert (await _report(api, owner, kind="profile", reason="rude")).status_code == 422

    # The author edits the message afterwards: the report keeps the reporter's copy.
    edited = await api.client.patch(
        f"/v1/chats/{chat['id']}/messages/{nasty['index']}",
        json={"body": "nice words"},
        headers=member.headers,
    )
    assert edited.status_code == 200, edited.text

    # Only the reporter reads the report.
    mine = await api.client.get(f"/v1/reports/{body['id']}", headers=owner.headers)
    assert mine.json()["message_body"] == "you are awful"
    assert (
        await api.client.get(f"/v1/reports/{body['id']}", headers=member.headers)
    ).status_code == 404
    listed = await api.client.get("/v1/reports", headers=member.headers)
    assert listed.json()["items"] == []

    record = await _act(api, moderator, body["id"], "remove-message")
    assert record.action == "report.remove-message"
    assert record.details["outcome"] == "message_removed"
    assert record.details["reason"] == "checked"

    for viewer in (owner, member):
        seen = await events(api.client, viewer, chat["id"])
        [message] = [e for e in seen if e["index"] == nasty["index"]]
        assert message["body"] is None
        assert message["deleted_at"] is not None
        assert seen[-1]["type"] == "message_deleted"
    outcome = await api.client.get("/v1/reports", headers=owner.headers)
    [item] = outcome.json()["items"]
    assert item["status"] == "message_removed"
    assert item["resolved_at"] is not None
    assert item["message_body"] == "you are awful"

    # Resolved once.
    with pytest.raises(AppError) as again:
        await _act(api, moderator, body["id"], "dismiss")
    assert getattr(again.value, "code", None) == "already_resolved"


async def test_profiles_and_cards_are_reported_when_seen_and_acted_on(api: Api) -> None:
    reporter, owner = await chat_user(api), await chat_user(api)
    moderator = await api.user(admin=True)
    card = await create_card(api, owner, data={"given_name": "Fake", "organization": "Samsung"})
    private = await create_card(api, owner, private=True)

    hidden = await _report(api, reporter, kind="card", card_id=private["id"])
    assert hidden.status_code == 404
    on_card = await _report(api, reporter, kind="card", card_id=card["id"], reason="impersonation")
    assert on_card.status_code == 201, on_card.text
    assert on_card.json()["profile_id"] == owner.profile_id
    on_profile = await _report(api, reporter, kind="profile", profile_id=owner.profile_id)
    assert on_profile.status_code == 201
    assert (
        await _report(api, reporter, kind="profile", profile_id=str(uuid.uuid4()))
    ).status_code == 404

    with pytest.raises(AppError) as wrong:  # a card report has no message to remove
        await _act(api, moderator, on_card.json()["id"], "remove-message")
    assert getattr(wrong.value, "code", None) == "not_applicable"

    await _act(api, moderator, on_card.json()["id"], "hide-card")
    assert (
        await api.client.get(f"/v1/cards/{card['id']}", headers=reporter.headers)
    ).status_code == 404
    await _act(api, moderator, on_profile.json()["id"], "lock-account")
    assert (await api.signin(owner)).status_code != 200
    assert (await api.client.get("/v1/me", headers=owner.headers)).status_code == 401

    statuses = {
        item["kind"]: item["status"]
        for item in (await api.client.get("/v1/reports", headers=reporter.headers)).json()["items"]
    }
    assert statuses == {"card": "card_hidden", "profile": "account_locked"}
    async with api.backends.database.transaction() as session:
        actions = set(
            (
                await session.scalars(
                    select(AuditRecord.action).where(AuditRecord.target_type == "report")
                )
            ).all()
        )
        assert actions == {"report.hide-card", "report.lock-account"}
        # Reports are found by the reporter's account (export, erasure).
        mine = (
            await session.scalars(
                select(Report).where(Report.reporter_user_id == uuid.UUID(reporter.id))
            )
        ).all()
        assert len(mine) == 2


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rate_limit_enabled": True}


async def test_reports_are_limited_per_user_and_day(api: Api) -> None:
    reporter, owner = await chat_user(api), await chat_user(api)
    for _ in range(20):
        answer = await _report(api, reporter, kind="profile", profile_id=owner.profile_id)
        assert answer.status_code == 201
    limited = await _report(api, reporter, kind="profile", profile_id=owner.profile_id)
    assert limited.status_code == 429


async def test_a_moderator_cannot_lock_their_own_account_through_a_report(api: Api) -> None:
    reporter = await chat_user(api)
    moderator = await chat_user(api, admin=True)
    against_me = await _report(api, reporter, kind="profile", profile_id=moderator.profile_id)
    assert against_me.status_code == 201, against_me.text

    with pytest.raises(AppError) as refused:
        await _act(api, moderator, against_me.json()["id"], "lock-account")
    assert (refused.value.status, getattr(refused.value, "code", None)) == (403, "forbidden")
    assert (await api.client.get("/v1/me", headers=moderator.headers)).status_code == 200
    mine = (await api.client.get("/v1/reports", headers=reporter.headers)).json()["items"]
    assert [item["status"] for item in mine] == ["open"]

    # Another moderator may.
    colleague = await api.user(admin=True)
    await _act(api, colleague, against_me.json()["id"], "lock-account")
    assert (await api.client.get("/v1/me", headers=moderator.headers)).status_code == 401
