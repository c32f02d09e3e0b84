"""Erasure end to end (issue 27): an account its owner deleted is erased after the grace
period; nothing of theirs is left in any table or storage prefix, others' chats stay gapless
with redacted events, wallets and CardDAV lose their cards, storage none of their objects."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from bca.accounts.models import User
from bca.admin.models import AuditRecord
from bca.backends import Backends
from bca.files.models import StoredFile
from bca.rights.erasure import ERASED_PROFILE_ID, erase_due
from bca.rights.residue import residue_of
from bca.sync.tasks import update_snapshot
from tests.admin.console_client import Console
from tests.factories.accounts import Api, TestUser
from tests.factories.carddav import dav_client, multistatus, sync_token_of, wallet_with_cards
from tests.factories.cards import first_profile_id, stored_objects
from tests.factories.chat import events, new_chat, post, upload
from tests.factories.sync import changes_since, client_apply, fetch_snapshot, open_copy, tables
from tests.fixtures.moto import MOTO_ACCESS_KEY_ID, MOTO_SECRET_ACCESS_KEY, create_bucket


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    endpoint: str = request.getfixturevalue("moto_endpoint")
    return {
        "erasure_grace_days": 0,
        "sync_snapshot_debounce_seconds": 0,
        "storage": "s3",
        "aws_s3_bucket_name": create_bucket(endpoint),
        "aws_endpoint_url": endpoint,
        "aws_access_key_id": MOTO_ACCESS_KEY_ID,
        "aws_secret_access_key": MOTO_SECRET_ACCESS_KEY,
    }


async def residue(backends: Backends, user_id: str) -> dict[str, int]:
    async with backends.database.transaction() as session:
        found = await residue_of(session, backends.storage, uuid.UUID(user_id))
    return {item.name: item.count for item in found}


async def their_objects(backends: Backends, user: TestUser) -> set[str]:
    async with backends.database.transaction() as session:
        keys = set(
            (
                await session.scalars(
                    select(StoredFile.storage_key).where(
                        StoredFile.owner_user_id == uuid.UUID(user.id)
                    )
                )
            ).all()
        )
    return keys | {key for key in await stored_objects(backends) if user.id in key}


async def test_an_erased_account_leaves_nothing_and_others_keep_a_gapless_history(
    api: Api, backends: Backends
) -> None:
    client = api.client
    owner, holder, me, cards = await wallet_with_cards(api, 2)
    owner.profile_id = await first_profile_id(api, owner)
    holder.profile_id = me
    dav = await dav_client(api, holder)
    token = sync_token_of(await dav.sync(me))
    copy = open_copy((await fetch_snapshot(client, backends, holder)).content)
    _, cursor = await changes_since(client, holder)

    chat = await new_chat(api, owner, holder)
    attachment = await upload(client, owner, "the owner's notes")
    await post(client, owner, chat["id"], "from the owner")
    await post(client, holder, chat["id"], "from the holder")
    await post(client, owner, chat["id"], "", file_id=attachment["id"])
    await post(client, holder, chat["id"], "the holder again")
    solo = await new_chat(api, owner, title="notes to self")
    await post(client, owner, solo["id"], "only mine")
    await dav_client(api, owner)  # an app password
    assert (await fetch_snapshot(client, backends, owner)).status_code == 200
    before = await events(client, holder, chat["id"])
    assert [event["file"]["id"] for event in before if event.get("file")] == [attachment["id"]]
    objects = await their_objects(backends, owner)
    assert any(key.startswith("files/") for key in objects)
    assert any(key.startswith(f"sync/{owner.id}/") for key in objects)
    left = await residue(backends, owner.id)
    assert {"users", "profiles", "cards", "subscriptions", "chat_events", "files"} <= set(left)
    assert f"sync/{owner.id}/" in left

    deleted = await client.request(
        "DELETE", "/v1/me", json={"password": owner.password}, headers=owner.headers
    )
    assert deleted.status_code == 204, deleted.text
    changes, cursor = await changes_since(client, holder, cursor)  # synced while deactivated
    client_apply(copy, changes)
    await erase_due(backends)
    await backends.tasks.drain()

    assert await residue(backends, owner.id) == {}
    await update_snapshot(backends, user_id=owner.id)  # queued before, run after the erasure
    assert await residue(backends, owner.id) == {}
    async with backends.database.transaction() as session:
        assert await session.get(User, uuid.UUID(owner.id)) is None
    assert objects.isdisjoint(await stored_objects(backends))
    assert (await client.get(f"/v1/chats/{solo['id']}", headers=holder.headers)).status_code == 404

    after = await events(client, holder, chat["id"])
    assert [event["index"] for event in after] == [event["index"] for event in before]
    assert [event["index"] for event in after] == list(range(1, len(after) + 1))
    for old, new in zip(before, after, strict=True):
        if old["profile_id"] == owner.profile_id:
            assert new["profile_id"] == str(ERASED_PROFILE_ID)
            assert new.get("body") is None
            assert new.get("file") is None
        else:
            assert new == old
    bodies = [event.get("body") for event in after]
    assert "from the holder" in bodies
    assert "the holder again" in bodies
    assert "from the owner" not in bodies

    changes, _ = await changes_since(client, holder, cursor)
    client_apply(copy, changes)
    held = tables(copy)
    ids = {str(row[0]) for rows in held.values() for row in rows}
    assert not {card["id"] for card in cards} & ids
    assert owner.profile_id not in ids
    owners = dict(copy.execute("SELECT id, owner_profile_id FROM chats").fetchall())
    assert owners[chat["id"]] == str(ERASED_PROFILE_ID)
    fresh = open_copy((await fetch_snapshot(client, backends, holder)).content)
    fresh_ids = {str(row[0]) for rows in tables(fresh).values() for row in rows}
    assert not {card["id"] for card in cards} & fresh_ids

    gone = multistatus(await dav.sync(me, token))
    assert {href for href, entry in gone.items() if entry.status == 404} == {
        dav.card(me, card["id"]) for card in cards
    }


async def test_signing_in_within_the_grace_period_calls_the_erasure_off(
    api: Api, backends: Backends
) -> None:
    backends.settings.erasure_grace_days = 14
    owner = await api.user()
    deleted = await api.client.request(
        "DELETE", "/v1/me", json={"password": owner.password}, headers=owner.headers
    )
    assert deleted.status_code == 204
    async with backends.database.transaction() as session:
        user = await session.get(User, uuid.UUID(owner.id))
        assert user is not None
        assert user.erase_after is not None
    assert (await api.client.get("/v1/me", headers=owner.headers)).status_code == 401
    wrong = await api.client.post(
        "/v1/auth/signin", json={"login": owner.username, "password": "not the password"}
    )
    assert wrong.status_code == 401

    await api.sign_in_as(owner)
    assert (await api.client.get("/v1/me", headers=owner.headers)).status_code == 200
    async with backends.database.transaction() as session:
        user = await session.get(User, uuid.UUID(owner.id))
        assert user is not None
        assert user.erase_after is None
        assert user.deactivated_at is None
    await erase_due(backends)
    assert "users" in await residue(backends, owner.id)


async def test_an_operator_erases_from_the_console_at_once_and_it_is_audited(
    api: Api, backends: Backends
) -> None:
    admin = await api.user(admin=True)
    console = await Console(api.client, admin).sign_in()
    target = await api.user()
    await upload(api.client, target, "to be erased")

    no_reason = await console.act("user", target.id, "erase")
    assert no_reason.status_code != 303  # a reason is required
    assert "users" in await residue(backends, target.id)
    assert (await console.act("user", admin.id, "erase", reason="mine")).status_code != 303

    erased = await console.act("user", target.id, "erase", reason="asked in writing")
    assert erased.status_code == 303, erased.text
    await backends.tasks.drain()
    assert await residue(backends, target.id) == {}
    assert (await api.signin(target)).status_code == 401
    async with backends.database.transaction() as session:
        records = (
            await session.scalars(select(AuditRecord).where(AuditRecord.action == "user.erase"))
        ).all()
    assert [(r.target_id, r.details["reason"], r.actor_id) for r in records] == [
        (target.id, "asked in writing", uuid.UUID(admin.id))
    ]
