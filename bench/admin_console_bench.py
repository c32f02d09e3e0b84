"""Admin console benchmark on PostgreSQL: page latency as the tables grow.

Times console pages (in-process ASGI client, signed in as an admin) with 1 thousand and then
100 thousand users and as many audit records: the lists read one page (LIMIT/OFFSET) plus a
count, the dashboard ten counts, so the pages should stay usable as the tables grow.

Run:  .venv/bin/python bench/admin_console_bench.py  [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
A scratch database is created and dropped. Rows are bulk-inserted directly.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

from bca.accounts.models import User
from bca.accounts.schemas import SignupRequest
from bca.accounts.service import create_account
from bca.admin.models import AuditRecord
from bca.app import create_app
from bca.backends import Backends
from bca.core.migrations import upgrade
from bca.core.time import utcnow
from bca.settings import load_settings
from bca.wiring import create_backends

ROUNDS = 20
PASSWORD = "bench password 1"  # noqa: S105  # a scratch database's account


async def admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


async def grow(backends: Backends, count: int, actor: uuid.UUID) -> None:
    now = utcnow()
    async with backends.database.transaction() as session:
        for start in range(0, count, 5000):
            ids = [uuid.uuid4() for _ in range(min(5000, count - start))]
            await session.execute(
                insert(User),
                [
                    {
                        "id": i,
                        "email": f"{i.hex}@bench.test",
                        "username": f"u{i.hex[:20]}",
                        "password_hash": "x",
                        "role": "user",
                        "locked": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in ids
                ],
            )
            await session.execute(
                insert(AuditRecord),
                [
                    {
                        "id": uuid.uuid4(),
                        "actor_id": actor,
                        "actor": "ops",
                        "action": "user.lock",
                        "target_type": "user",
                        "target_id": str(i),
                        "address": "127.0.0.1",
                        "details": {},
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
    async with backends.database.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))


async def timed(client: httpx.AsyncClient, path: str) -> tuple[float, float]:
    durations = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = await client.get(path)
        durations.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    durations.sort()
    return statistics.median(durations), durations[int(len(durations) * 0.95) - 1]


async def main(postgres: str) -> None:
    name = f"bca_bench_admin_{uuid.uuid4().hex[:8]}"
    base = postgres.rsplit("/", 1)[0]
    await admin(postgres, f'CREATE DATABASE "{name}"')
    url = f"{base}/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        settings = load_settings(
            database_url=url,
            data_dir=Path(tempfile.mkdtemp()),
            secret_key="b" * 40,
            rate_limit_enabled=False,
            log_json=False,
            password_hash_time_cost=1,
            password_hash_memory_kib=1024,
        )
        backends = create_backends(settings)
        async with backends.database.transaction() as session:
            operator = await create_account(
                session,
                backends.passwords,
                data=SignupRequest(email="ops@example.com", username="ops", password=PASSWORD),
                role="admin",
                verified=True,
            )
        app = create_app(settings, backends=backends)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            form = (await client.get("/admin/login")).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token
            signed = await client.post(
                "/admin/login",
                data={"login": "ops", "password": PASSWORD, "csrf_token": token.group(1)},
            )
            assert signed.status_code == 303
            pages = {
                "dashboard": "/admin/",
                "users, page 1": "/admin/user/list",
                "users, page 40": "/admin/user/list?page=40",
                "users, search": "/admin/user/list?search=u0000",
                "audit, page 1": "/admin/audit-record/list",
                "user details": f"/admin/user/details/{operator.id}",
            }
            rows = []
            present = 1
            for size in (1_000, 100_000):
                await grow(backends, size - present, operator.id)
                present = size
                for label, path in pages.items():
                    p50, p95 = await timed(client, path)
                    rows.append(f"| {size:,} | {label} | {p50:.1f} | {p95:.1f} |")
        await backends.close()
        print("| users (and audit records) | page | p50 ms | p95 ms |")
        print("|---|---|---|---|")
        print("\n".join(rows))
    finally:
        await admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    asyncio.run(main(parser.parse_args().postgres))
