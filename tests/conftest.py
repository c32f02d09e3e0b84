"""Test harness: every API test runs on both stacks.

- ``sqlite``: the embedded default (SQLite file, in-process cache and tasks, local storage).
- ``postgres``: the production stack (PostgreSQL on this machine; Redis: a private
  ``redis-server`` per test process, or BCA_TEST_REDIS_SERVER: tests/fixtures/redis_server.py).

Each session migrates one PostgreSQL database and one SQLite template through Alembic; each
test then starts from empty tables (TRUNCATE on PostgreSQL, a fresh copy on SQLite).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bca.app import create_app
from bca.backends import Backends
from bca.core.domain import Domain
from bca.core.migrations import upgrade
from bca.domains import DOMAINS, metadata_of
from bca.settings import Settings, load_settings
from bca.wiring import create_backends
from tests.factories.accounts import Api
from tests.fixtures.redis_server import CACHE_DATABASE, suite_redis_url

pytest_plugins = [
    "tests.fixtures.moto",
    "tests.fixtures.fcm",
    "tests.fixtures.smtp",
    "tests.fixtures.servers",
    "tests.fixtures.rolled_back",
]

POSTGRES_ADMIN_URL = os.environ.get(
    "BCA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
STACKS = [name for name in os.environ.get("BCA_TEST_STACKS", "sqlite,postgres").split(",") if name]
"""The stacks every API test runs on. ``BCA_TEST_STACKS=sqlite`` (``make test-fast``) runs the
suite on the embedded stack alone while working, and skips the tests that need PostgreSQL;
CI and ``make test`` run both."""
if not STACKS or set(STACKS) - {"sqlite", "postgres"}:
    raise pytest.UsageError(f"BCA_TEST_STACKS names sqlite and/or postgres, not {STACKS}")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``pytest -n N --dist loadgroup`` (``make test``) each test goes to whichever
    pytest-xdist worker is free, except that the tests of a module with module- or class-scoped
    fixtures (a browser module's servers and browser, a private PostgreSQL) stay together on
    one worker, so those fixtures are set up once, not once per worker. Before xdist's own hook,
    which reads the marks."""
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        scopes = {
            definition.scope
            for definitions in item._fixtureinfo.name2fixturedefs.values()
            for definition in definitions
        }
        if scopes & {"module", "class"}:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    """A database of its own for this session, migrated once, dropped at the end."""
    if "postgres" not in STACKS:
        pytest.skip("PostgreSQL is left out (BCA_TEST_STACKS)")
    name = f"bca_test_{uuid.uuid4().hex[:10]}"
    admin_base, _ = POSTGRES_ADMIN_URL.rsplit("/", 1)

    async def admin(statement: str) -> None:
        engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    await admin(f'CREATE DATABASE "{name}"')
    url = f"{admin_base}/{name}"
    # Alembic's env.py runs its own event loop, so it needs a thread of its own.
    await asyncio.to_thread(upgrade, url)
    yield url
    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _truncate_postgres(url: str) -> None:
    engine = create_async_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in metadata_of().sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} CASCADE"))
    await engine.dispose()


async def _flush_redis() -> None:
    client = redis.Redis.from_url(suite_redis_url(CACHE_DATABASE))
    await client.flushdb()
    await client.aclose()


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module (or parametrize) to change settings for its tests."""
    return {}


@pytest.fixture
def settings(
    stack: str,
    tmp_path: Path,
    sqlite_template: Path,
    request: pytest.FixtureRequest,
    settings_overrides: dict[str, Any],
) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "secret_key": "test-secret-key-" + "x" * 32,
        "rate_limit_enabled": False,
        "log_json": False,
        "public_url": "https://bca.test",
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
    }
    if stack == "postgres":
        values |= {
            "database_url": request.getfixturevalue("postgres_url"),
            "redis_url": suite_redis_url(CACHE_DATABASE),
        }
    else:
        database = tmp_path / "bca.db"
        shutil.copy(sqlite_template, database)
        values["database_url"] = f"sqlite+aiosqlite:///{database}"
    return load_settings(**(values | settings_overrides))


@pytest.fixture
async def backends(settings: Settings) -> AsyncIterator[Backends]:
    if not settings.is_sqlite:
        assert settings.database_url is not None
        await _truncate_postgres(settings.database_url)
        await _flush_redis()
    created = create_backends(settings)
    yield created
    await created.close()


def make_client(backends: Backends, *, domains: Sequence[Domain] = DOMAINS) -> httpx.AsyncClient:
    app = create_app(backends.settings, backends=backends, domains=domains)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@asynccontextmanager
async def second_instance(settings: Settings) -> AsyncIterator[tuple[Backends, httpx.AsyncClient]]:
    """Another app on the same database and Redis, with backends (and a hub) of its own."""
    other = create_backends(settings)
    try:
        async with make_client(other) as client:
            yield other, client
    finally:
        await other.close()


@pytest.fixture
async def client(backends: Backends) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(backends) as http:
        yield http


@pytest.fixture
def api(client: httpx.AsyncClient, backends: Backends, request: pytest.FixtureRequest) -> Api:
    inbox = request.getfixturevalue("smtp_inbox") if "smtp_inbox" in request.fixturenames else None
    return Api(client, backends, inbox)
