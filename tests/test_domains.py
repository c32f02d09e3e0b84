"""A domain declares itself in one place: a throwaway domain, ``memos``, is one manifest
(a model, a router, a sync entity, a console view) and one line added to the list of domains,
and it is served, migrated (the schema and Alembic's autogenerate see its table), synced (its
entity reaches ``/v1/sync/changes``) and shown in the admin console. Nothing else changes.

The list of domains itself is checked too: every mapped table belongs to a manifest, and the
usual list leaves Alembic nothing to generate.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import MetaData, String, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, aliased, mapped_column

from bca.accounts.dependencies import CurrentUser
from bca.accounts.models import User
from bca.admin.views import ConsoleView
from bca.backends import Backends
from bca.backends.dependencies import SessionDep
from bca.core.db import NAMING_CONVENTION, Base
from bca.core.domain import Domain, Web
from bca.core.migrations import include_name
from bca.domains import DOMAINS, assemble, metadata_of
from bca.sync.changelog import record_change
from bca.sync.entities import ENTITIES, AnySelect, Data, EntitySpec, Row
from tests.admin.console_client import Console
from tests.conftest import make_client
from tests.factories.accounts import Api
from tests.factories.sync import changes_since

# --- the throwaway domain: what a new domain's package would hold ---------------------------


class MemoBase(DeclarativeBase):
    """A metadata of its own, so that the rest of the suite never sees the table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Memo(MemoBase):
    __tablename__ = "memos"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    text: Mapped[str] = mapped_column(String(200))


class MemoCreate(BaseModel):
    text: str


router = APIRouter(prefix="/v1", tags=["memos"])


@router.post("/memos", status_code=201)
async def create_memo(data: MemoCreate, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    memo = Memo(id=uuid.uuid4(), owner_id=user.id, text=data.text)
    session.add(memo)
    await record_change(session, user_ids=[user.id], entity="memo", entity_id=str(memo.id))
    return {"id": str(memo.id), "text": memo.text}


def _memos(viewers: Any, ids: Any) -> AnySelect:
    viewer = aliased(User, name="viewer")
    scope = Memo.owner_id == viewer.id if ids is None else Memo.id.in_(ids)
    return (
        select(viewer.id.label("viewer"), Memo)
        .select_from(viewer)
        .join(Memo, scope)
        .where(viewer.id.in_(viewers), Memo.owner_id == viewer.id)
    )


def _render(row: Row, _public_url: str) -> Data:
    memo: Memo = row["Memo"]
    return {"text": memo.text}


MEMO = EntitySpec(
    name="memo",
    table="memos",
    columns={"text": "TEXT NOT NULL"},
    key="id",
    statement=_memos,
    key_of=lambda row: str(row["Memo"].id),
    render=_render,
)


class MemoView(ConsoleView, model=Memo):
    name = "Memo"
    name_plural = "Memos"
    column_list: ClassVar[list[Any]] = [Memo.id, Memo.owner_id, Memo.text]


MEMOS = Domain(
    name="memos",
    models=(Memo,),
    web=lambda: Web(routers=(router,), console_views=(MemoView,)),
    plugs=(ENTITIES.plug(MEMO),),
)

WITH_MEMOS = [*DOMAINS, MEMOS]
"""The one line a new domain adds to ``bca.domains.DOMAINS``."""


# --- the test -------------------------------------------------------------------------------


@pytest.fixture
def usual_domains_after() -> Iterator[None]:
    yield
    assemble(DOMAINS)


@pytest.fixture
async def memos_table(backends: Backends) -> AsyncIterator[list[Any]]:
    """The table as a migration would make it; yields what autogenerate saw missing first."""
    engine = create_async_engine(backends.settings.resolved_database_url)
    metadata = metadata_of(WITH_MEMOS)

    def missing(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        return list(compare_metadata(context, metadata))

    async with engine.begin() as connection:
        seen = await connection.run_sync(missing)
        await connection.run_sync(metadata.tables["memos"].create)
    yield seen
    async with engine.begin() as connection:
        await connection.run_sync(metadata.tables["memos"].drop)
    await engine.dispose()


async def test_a_new_domain_is_one_manifest_and_one_line(
    api: Api, backends: Backends, memos_table: list[Any], usual_domains_after: None
) -> None:
    # Migrated: autogenerate finds the new domain's table (and its index) to add, nothing else.
    assert [(diff[0], diff[1].name) for diff in memos_table] == [
        ("add_table", "memos"),
        ("add_index", "ix_memos_owner_id"),
    ]

    alice = await api.user()
    admin = await api.user(admin=True)
    async with make_client(backends, domains=WITH_MEMOS) as client:
        _, cursor = await changes_since(client, alice)

        # Served.
        created = await client.post("/v1/memos", json={"text": "buy cards"}, headers=alice.headers)
        assert created.status_code == 201, created.text
        memo_id = created.json()["id"]

        # Synced.
        changes, _ = await changes_since(client, alice, cursor)
        assert changes == [
            {"entity": "memo", "op": "upsert", "id": memo_id, "data": {"text": "buy cards"}}
        ]

        # Shown in the console.
        console = await Console(client, admin).sign_in()
        listed = await console.client.get("/admin/memo/list")
        assert listed.status_code == 200, listed.text
        assert "buy cards" in listed.text


async def test_without_the_line_the_domain_is_nowhere(api: Api, client: httpx.AsyncClient) -> None:
    alice = await api.user()
    response = await client.post("/v1/memos", json={"text": "x"}, headers=alice.headers)
    assert response.status_code == 404
    assert "memo" not in ENTITIES
    assert "memos" not in metadata_of().tables


def test_every_table_belongs_to_a_listed_domain() -> None:
    assert set(metadata_of().tables) == set(Base.metadata.tables)


async def test_the_usual_domains_leave_alembic_nothing_to_generate(backends: Backends) -> None:
    """What ``alembic check`` asks, against the migrated test database of each stack."""
    engine = create_async_engine(backends.settings.resolved_database_url)
    async with engine.connect() as connection:
        diffs = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"include_name": include_name}),
                metadata_of(),
            )
        )
    await engine.dispose()
    assert diffs == []
