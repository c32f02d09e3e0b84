"""Adding an entity type to offline sync is one spec, one plug in a manifest and the writers'
``record(...)`` calls.

A throwaway entity, ``account`` (each user's own account row, as only they see it), is
plugged in by a throwaway domain assembled after the usual ones: nothing else in ``bca.sync``
changes, yet its changes reach ``/v1/sync/changes`` and a fresh snapshot has its table and row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from bca.accounts.models import User
from bca.backends import Backends
from bca.core.domain import Domain
from bca.domains import DOMAINS, assemble
from bca.sync.changelog import record_change
from bca.sync.entities import ENTITIES, AnySelect, Data, EntitySpec, Row
from bca.sync.snapshots import build_file
from tests.factories.accounts import Api
from tests.factories.sync import changes_since, open_copy


def _accounts(viewers: Any, ids: Any) -> AnySelect:
    viewer = aliased(User, name="viewer")
    account = aliased(User, name="account")
    scope = account.id == viewer.id if ids is None else account.id.in_(ids)
    return (
        select(viewer.id.label("viewer"), account)
        .select_from(viewer)
        .join(account, scope)
        .where(viewer.id.in_(viewers), account.id == viewer.id)
    )


def _render(row: Row, _public_url: str) -> Data:
    account: User = row["account"]
    return {"username": account.username, "nickname": account.nickname}


@pytest.fixture
def account_entity() -> Iterator[EntitySpec]:
    spec = EntitySpec(
        name="account",
        table="accounts",
        columns={"username": "TEXT NOT NULL", "nickname": "TEXT"},
        key="id",
        statement=_accounts,
        key_of=lambda row: str(row["account"].id),
        render=_render,
    )
    assemble([*DOMAINS, Domain(name="account_sync", plugs=(ENTITIES.plug(spec),))])
    yield spec
    assemble(DOMAINS)


async def test_a_registered_entity_reaches_changes_and_snapshots(
    api: Api,
    client: httpx.AsyncClient,
    backends: Backends,
    tmp_path: Path,
    account_entity: EntitySpec,
) -> None:
    alice = await api.user(nickname="Alice")
    _, cursor = await changes_since(client, alice)
    async with backends.database.transaction() as session:
        await record_change(
            session,
            user_ids=[uuid.UUID(alice.id)],
            entity="account",
            entity_id=alice.id,
        )
    changes, _ = await changes_since(client, alice, cursor)
    assert changes == [
        {
            "entity": "account",
            "op": "upsert",
            "id": alice.id,
            "data": {"username": alice.username, "nickname": "Alice"},
        }
    ]

    path = tmp_path / "fresh.sqlite3"
    await build_file(backends, uuid.UUID(alice.id), path)
    rows = open_copy(path.read_bytes()).execute("SELECT * FROM accounts").fetchall()
    assert rows == [(alice.id, alice.username, "Alice")]
