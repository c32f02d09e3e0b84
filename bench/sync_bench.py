"""Sync benchmark on PostgreSQL.

1. ``GET /v1/sync/changes`` latency for a small delta (20 entries) when the change log holds
   10 thousand vs 1 million entries in all: the read is a range scan of (user_id, seq), so the
   two should be close.
2. Snapshot patch vs full rebuild for a user who sees ~10 thousand entities.

Run:  .venv/bin/python bench/sync_bench.py  [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
A scratch database is created and dropped. Log rows are bulk-inserted directly.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from bca.accounts.models import User
from bca.app import create_app
from bca.backends import Backends
from bca.cards.models import Card
from bca.core.migrations import upgrade
from bca.core.security import issue_access_token
from bca.core.time import utcnow
from bca.profiles.models import Profile, Relation
from bca.settings import load_settings
from bca.sync.models import Change, ChangeCounter, Snapshot
from bca.sync.snapshots import update_snapshot
from bca.wiring import create_backends

DELTA = 20


async def admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


async def make_users(backends: Backends, count: int) -> list[uuid.UUID]:
    now = utcnow()
    ids = [uuid.uuid4() for _ in range(count)]
    async with backends.database.transaction() as session:
        for start in range(0, count, 5000):
            chunk = ids[start : start + 5000]
            await session.execute(
                insert(User),
                [
                    {
                        "id": i,
                        "email": f"{i.hex}@bench.test",
                        "username": f"u{i.hex[:20]}",
                        "password_hash": "x",
                        "role": "user",
                        "email_verified_at": now,
                        "locked": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in chunk
                ],
            )
            await session.execute(
                insert(ChangeCounter),
                [{"user_id": i, "last_seq": 0, "compacted_through": 0} for i in chunk],
            )
    return ids


async def make_profiles(backends: Backends, owners: list[uuid.UUID]) -> list[uuid.UUID]:
    now = utcnow()
    ids = [uuid.uuid4() for _ in owners]
    async with backends.database.transaction() as session:
        for start in range(0, len(ids), 5000):
            await session.execute(
                insert(Profile),
                [
                    {
                        "id": pid,
                        "user_id": owner,
                        "name": f"P {pid.hex[:6]}",
                        "sns": {},
                        "data": {},
                        "private": False,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for pid, owner in zip(
                        ids[start : start + 5000], owners[start : start + 5000], strict=True
                    )
                ],
            )
    return ids


async def fill_log(backends: Backends, user_ids: list[uuid.UUID], per_user: int) -> None:
    """Entries for filler users, pointing at entities that do not exist (never rendered)."""
    now = utcnow()
    batch: list[dict[str, Any]] = []
    async with backends.database.transaction() as session:
        for user_id in user_ids:
            for seq in range(1, per_user + 1):
                batch.append(
                    {
                        "user_id": user_id,
                        "seq": seq,
                        "entity": "profile",
                        "entity_id": str(uuid.uuid4()),
                        "op": "upsert",
                        "created_at": now,
                    }
                )
                if len(batch) >= 20000:
                    await session.execute(insert(Change), batch)
                    batch.clear()
            await session.execute(
                update(ChangeCounter)
                .where(ChangeCounter.user_id == user_id)
                .values(last_seq=per_user)
            )
        if batch:
            await session.execute(insert(Change), batch)


async def changes_latency(total: int, url: str) -> dict[str, float]:
    name = f"bca_bench_{uuid.uuid4().hex[:8]}"
    base = url.rsplit("/", 1)[0]
    await admin(url, f'CREATE DATABASE "{name}"')
    db_url = f"{base}/{name}"
    try:
        await asyncio.to_thread(upgrade, db_url)
        settings = load_settings(
            database_url=db_url,
            data_dir=Path(tempfile.mkdtemp()),
            secret_key="b" * 40,
            rate_limit_enabled=False,
            log_json=False,
        )
        backends = create_backends(settings)
        fillers = max(1, (total - 10 * DELTA) // 1000)
        filler_ids = await make_users(backends, fillers)
        await fill_log(backends, filler_ids, (total - 10 * DELTA) // fillers)
        (target,) = await make_users(backends, 1)
        profiles = await make_profiles(backends, [target] * DELTA)
        now = utcnow()
        history = 9 * DELTA
        async with backends.database.transaction() as session:
            rows = [
                {
                    "user_id": target,
                    "seq": seq,
                    "entity": "profile",
                    "entity_id": str(profiles[(seq - 1) % DELTA]),
                    "op": "upsert",
                    "created_at": now,
                }
                for seq in range(1, history + DELTA + 1)
            ]
            await session.execute(insert(Change), rows)
            await session.execute(
                update(ChangeCounter)
                .where(ChangeCounter.user_id == target)
                .values(last_seq=history + DELTA)
            )
            session_row = await _auth_session(session, target)
        async with backends.database.engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            count = (await connection.execute(text("SELECT count(*) FROM sync_changes"))).scalar()
        token = issue_access_token(
            user_id=target,
            session_id=session_row,
            key=settings.signing_key,
            ttl_seconds=settings.access_token_ttl_seconds,
        )
        app = create_app(settings, backends=backends)
        timings = []
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://b"
        ) as client:
            for attempt in range(220):
                started = time.perf_counter()
                response = await client.get(
                    "/v1/sync/changes",
                    params={"since": str(history)},
                    headers={"Authorization": f"Bearer {token}"},
                )
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.text
                assert len(response.json()["changes"]) == DELTA
                if attempt >= 20:
                    timings.append(elapsed * 1000)
        await backends.close()
        return {
            "entries": float(count or 0),
            "median_ms": statistics.median(timings),
            "p95_ms": statistics.quantiles(timings, n=20)[18],
        }
    finally:
        await admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _auth_session(session: Any, user_id: uuid.UUID) -> uuid.UUID:
    from datetime import timedelta

    from bca.accounts.models import AuthSession

    row = AuthSession(user_id=user_id, expires_at=utcnow() + timedelta(days=1))
    session.add(row)
    await session.flush()
    return row.id


async def snapshot_times(url: str, followed: int) -> dict[str, float]:
    name = f"bca_bench_{uuid.uuid4().hex[:8]}"
    base = url.rsplit("/", 1)[0]
    await admin(url, f'CREATE DATABASE "{name}"')
    db_url = f"{base}/{name}"
    try:
        await asyncio.to_thread(upgrade, db_url)
        settings = load_settings(
            database_url=db_url,
            data_dir=Path(tempfile.mkdtemp()),
            secret_key="b" * 40,
            log_json=False,
        )
        backends = create_backends(settings)
        # Time the builds alone: no background updates triggered by the bench's own writes.
        backends.database.sessionmaker.configure(info={})
        owners = await make_users(backends, followed)
        others = await make_profiles(backends, owners)
        (viewer,) = await make_users(backends, 1)
        (mine,) = await make_profiles(backends, [viewer])
        now = utcnow()
        async with backends.database.transaction() as session:
            for start in range(0, followed, 5000):
                chunk = others[start : start + 5000]
                await session.execute(
                    insert(Relation),
                    [
                        {
                            "profile_id": mine,
                            "target_id": t,
                            "status": "follow",
                            "created_at": now,
                            "updated_at": now,
                        }
                        for t in chunk
                    ],
                )
                await session.execute(
                    insert(Card),
                    [
                        {
                            "id": uuid.uuid4(),
                            "profile_id": t,
                            "name": "Card",
                            "data": {"k": "v"},
                            "private": False,
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for t in chunk
                    ],
                )
            session.add(
                Snapshot(user_id=viewer, cursor=0, schema_version=1, rebuild_requested=True)
            )
        async with backends.database.engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
        started = time.perf_counter()
        await update_snapshot(backends, viewer, rebuild=True)
        first_build = time.perf_counter() - started
        rebuilds, patches = [], []
        for round_ in range(3):
            async with backends.database.transaction() as session:
                for index, target in enumerate(others[:DELTA]):
                    await session.execute(
                        update(Profile)
                        .where(Profile.id == target)
                        .values(name=f"R{round_}-{index}")
                    )
                from bca.sync.changelog import touch

                touch(
                    session,
                    user_ids=[viewer],
                    entity="profile",
                    entity_ids=[str(t) for t in others[:DELTA]],
                )
            started = time.perf_counter()
            await update_snapshot(backends, viewer, rebuild=False)
            patches.append(time.perf_counter() - started)
            started = time.perf_counter()
            await update_snapshot(backends, viewer, rebuild=True)
            rebuilds.append(time.perf_counter() - started)
        await backends.close()
        return {
            "entities": float(1 + 2 * followed + followed),
            "first_build_s": first_build,
            "patch_s": statistics.median(patches),
            "rebuild_s": statistics.median(rebuilds),
        }
    finally:
        await admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--followed", type=int, default=3333)
    args = parser.parse_args()
    small = await changes_latency(10_000, args.postgres)
    big = await changes_latency(1_000_000, args.postgres)
    for result in (small, big):
        print(
            f"changes, log of {result['entries']:.0f}: median {result['median_ms']:.2f} ms, "
            f"p95 {result['p95_ms']:.2f} ms"
        )
    print(f"ratio (1M / 10k, medians): {big['median_ms'] / small['median_ms']:.2f}")
    snap = await snapshot_times(args.postgres, args.followed)
    print(
        f"snapshot, user seeing {snap['entities']:.0f} entities: "
        f"first build {snap['first_build_s']:.2f} s, "
        f"patch ({DELTA} changes) {snap['patch_s']:.3f} s, "
        f"full rebuild {snap['rebuild_s']:.2f} s, "
        f"rebuild/patch {snap['rebuild_s'] / snap['patch_s']:.1f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())
