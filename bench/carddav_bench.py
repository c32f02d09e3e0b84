"""CardDAV benchmark: incremental sync vs a full listing, for a wallet of 5,000 cards.

A holder's profile holds 5,000 cards (50 owners x 100 cards, realistic vCard data); then the
owners edit 10 of them through the cards service (so the change log is written by the real
commit hook). Through the ASGI app, with HTTP Basic and an app password as a phone sends:

- ``sync-collection`` with the token from before the 10 edits (``getetag``): what a phone
  sends every few minutes; then the ``addressbook-multiget`` of the 10 changed cards;
- ``PROPFIND Depth: 1`` (``getetag``): the full listing a client without sync-collection
  (vdirsyncer, older clients) compares ETags with;
- ``sync-collection`` without a token: the initial sync.

Each request's median wall time and median CPU time of this process (server and client are
one process here; PostgreSQL's share is not in it): on a machine shared with other work,
the CPU time is the steadier figure.

Run:  .venv/bin/python bench/carddav_bench.py [--postgres URL] [--sqlite] [--cards 5000]
A scratch PostgreSQL database is created and dropped (or a temporary SQLite file is used).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bca.accounts.models import AppPassword, User
from bca.app import create_app
from bca.backends import Backends
from bca.cards import service as cards_service
from bca.cards.models import Card, Subscription
from bca.cards.schemas import CardUpdate
from bca.core.migrations import upgrade
from bca.core.security import hash_token
from bca.core.time import utcnow
from bca.profiles.models import Profile
from bca.settings import load_settings
from bca.sync.models import Change, ChangeCounter, HeldEntity
from bca.wiring import create_backends

CHANGES = 10
CARDS_PER_OWNER = 100
SECRET = "benchbenchbenchbench"  # noqa: S105  # the bench user's app password
XML = '<?xml version="1.0" encoding="utf-8"?>\n'
CARD_NS = 'xmlns:card="urn:ietf:params:xml:ns:carddav"'


async def admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


def card_data(index: int) -> dict[str, Any]:
    return {
        "given_name": f"Given{index}",
        "family_name": random.choice(["Meyer", "Schmidt", "Dubois", "Rossi", "Tanaka"]),
        "title": "Head of Something",
        "organization": f"Company {index % 300} GmbH",
        "emails": [{"value": f"person{index}@example.com", "type": "work"}],
        "phones": [{"value": f"+49 30 {index:07d}", "type": "cell"}],
        "urls": [f"https://example.com/people/{index}"],
        "address": {"street": "Hauptstr. 1", "locality": "Berlin", "country": "Germany"},
    }


async def populate(backends: Backends, cards: int) -> tuple[uuid.UUID, uuid.UUID, list[Card]]:
    """Users, profiles, cards and the holder's wallet, bulk-inserted; the holder's change log
    as the writers would have left it (an entry per card, wallet entry and profile seen)."""
    now = utcnow()
    owners = max(1, cards // CARDS_PER_OWNER)
    user_ids = [uuid.uuid4() for _ in range(owners + 1)]
    holder, owner_ids = user_ids[0], user_ids[1:]
    profile_of = {user_id: uuid.uuid4() for user_id in user_ids}
    card_rows = [
        {
            "id": uuid.uuid4(),
            "profile_id": profile_of[owner_ids[index % owners]],
            "name": f"Card {index}",
            "data": card_data(index),
            "private": False,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for index in range(cards)
    ]
    async with backends.database.transaction() as session:
        await session.execute(
            insert(User),
            [
                {
                    "id": user_id,
                    "email": f"{user_id.hex}@bench.test",
                    "username": f"u{user_id.hex[:20]}",
                    "password_hash": "x",
                    "role": "user",
                    "email_verified_at": now,
                    "locked": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for user_id in user_ids
            ],
        )
        await session.execute(
            insert(Profile),
            [
                {
                    "id": profile_id,
                    "user_id": user_id,
                    "name": f"Profile {profile_id.hex[:6]}",
                    "sns": {},
                    "data": {},
                    "private": False,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for user_id, profile_id in profile_of.items()
            ],
        )
        for start in range(0, cards, 2000):
            chunk = card_rows[start : start + 2000]
            await session.execute(insert(Card), chunk)
            await session.execute(
                insert(Subscription),
                [
                    {"profile_id": profile_of[holder], "card_id": row["id"], "subscribed_at": now}
                    for row in chunk
                ],
            )
        log = []
        for row in card_rows:
            log.append(("subscription", f"{profile_of[holder]}:{row['id']}"))
            log.append(("card", str(row["id"])))
        log += [("profile", str(profile_id)) for profile_id in profile_of.values()]
        for start in range(0, len(log), 5000):
            await session.execute(
                insert(Change),
                [
                    {
                        "user_id": holder,
                        "seq": start + offset + 1,
                        "entity": entity,
                        "entity_id": entity_id,
                        "op": "upsert",
                        "created_at": now,
                    }
                    for offset, (entity, entity_id) in enumerate(log[start : start + 5000])
                ],
            )
            # What the holder's copy holds, as the log's writers would have recorded it.
            await session.execute(
                insert(HeldEntity),
                [
                    {"user_id": holder, "entity": entity, "entity_id": entity_id}
                    for entity, entity_id in log[start : start + 5000]
                ],
            )
        await session.execute(
            insert(ChangeCounter),
            [
                {
                    "user_id": user_id,
                    "last_seq": len(log) if user_id == holder else 0,
                    "compacted_through": 0,
                }
                for user_id in user_ids
            ],
        )
        session.add(AppPassword(user_id=holder, name="bench", secret_hash=hash_token(SECRET)))
    loaded = []
    async with backends.database.transaction() as session:
        loaded = list(
            (await session.scalars(select(Card).order_by(func.random()).limit(CHANGES))).all()
        )
    return holder, profile_of[holder], loaded


async def edit(backends: Backends, edited: list[Card]) -> None:
    """The owners edit 10 cards through the service: the real change-log hook runs."""
    for card in edited:
        async with backends.database.transaction() as session:
            owner = await session.scalar(
                select(User)
                .join(Profile, Profile.user_id == User.id)
                .where(Profile.id == card.profile_id)
            )
            assert owner is not None
            data = card_data(random.randrange(1_000_000))
            await cards_service.update_card(
                session,
                user=owner,
                card_id=card.id,
                data=CardUpdate.model_validate({"data": data}),
                if_match=None,
            )


async def measure(
    call: Callable[[], Awaitable[httpx.Response]], runs: int, check: Callable[[bytes], None]
) -> dict[str, float]:
    timings = []
    processor = []
    size = 0
    for attempt in range(runs + 3):
        started = time.perf_counter()
        cpu_started = time.process_time()
        response = await call()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        assert response.status_code == 207, response.text[:500]
        check(response.content)
        size = len(response.content)
        if attempt >= 3:
            timings.append(elapsed * 1000)
            processor.append(cpu * 1000)
    return {
        "median_ms": statistics.median(timings),
        "p95_ms": statistics.quantiles(timings, n=20)[18] if len(timings) >= 20 else max(timings),
        "cpu_ms": statistics.median(processor),
        "bytes": float(size),
    }


async def run(database_url: str, cards: int) -> dict[str, dict[str, float]]:
    settings = load_settings(
        database_url=database_url,
        data_dir=Path(tempfile.mkdtemp()),
        secret_key="b" * 40,
        rate_limit_enabled=False,
        log_json=False,
        log_level="WARNING",
    )
    backends = create_backends(settings)
    backends.database.sessionmaker.configure(info={})  # no snapshot tasks from the bench
    holder, book, changed = await populate(backends, cards)
    async with backends.database.transaction() as session:
        token_seq = await session.scalar(
            select(ChangeCounter.last_seq).where(ChangeCounter.user_id == holder)
        )
    if not database_url.startswith("sqlite"):
        async with backends.database.engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
    await edit(backends, changed)
    path = f"/dav/addressbooks/{holder}/{book}/"
    credentials = base64.b64encode(f"u{holder.hex[:20]}:{SECRET}".encode()).decode()
    headers = {"Authorization": f"Basic {credentials}", "Content-Type": "application/xml"}
    token = f"urn:x-bca:sync:{book}:{token_seq}"

    def sync_body(since: str) -> str:
        return (
            f'{XML}<d:sync-collection xmlns:d="DAV:"><d:sync-token>{since}</d:sync-token>'
            "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"
        )

    hrefs = "".join(f"<d:href>{path}{card.id}.vcf</d:href>" for card in changed)
    multiget = (
        f'{XML}<card:addressbook-multiget xmlns:d="DAV:" {CARD_NS}><d:prop><d:getetag/>'
        f'<card:address-data version="4.0"/></d:prop>{hrefs}</card:addressbook-multiget>'
    )
    propfind = f'{XML}<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'

    def responses(expected: int) -> Callable[[bytes], None]:
        def check(body: bytes) -> None:
            found = body.count(b"<d:response>")
            assert found == expected, (found, expected)

        return check

    app = create_app(settings, backends=backends)
    results: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as c:
        results["sync-collection, 10 changes"] = await measure(
            lambda: c.request("REPORT", path, content=sync_body(token), headers=headers),
            50,
            responses(CHANGES),
        )
        results["PROPFIND Depth 0 (the floor: auth, one book)"] = await measure(
            lambda: c.request("PROPFIND", path, content=propfind, headers=headers | {"Depth": "0"}),
            50,
            responses(1),
        )
        results["multiget of the 10 (vCard 4.0)"] = await measure(
            lambda: c.request("REPORT", path, content=multiget, headers=headers),
            50,
            responses(CHANGES),
        )
        results["PROPFIND Depth 1, getetag"] = await measure(
            lambda: c.request("PROPFIND", path, content=propfind, headers=headers | {"Depth": "1"}),
            20,
            responses(cards + 1),
        )
        results["sync-collection, initial"] = await measure(
            lambda: c.request("REPORT", path, content=sync_body(""), headers=headers),
            20,
            responses(cards),
        )
    await backends.close()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite", action="store_true", help="embedded stack instead")
    parser.add_argument("--cards", type=int, default=5000)
    args = parser.parse_args()
    random.seed(7)
    if args.sqlite:
        folder = Path(tempfile.mkdtemp())
        url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        results = await run(url, args.cards)
    else:
        name = f"bca_bench_{uuid.uuid4().hex[:8]}"
        base = args.postgres.rsplit("/", 1)[0]
        await admin(args.postgres, f'CREATE DATABASE "{name}"')
        try:
            url = f"{base}/{name}"
            await asyncio.to_thread(upgrade, url)
            results = await run(url, args.cards)
        finally:
            await admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        f"| request ({args.cards} cards, {CHANGES} changed) | median ms | p95 ms "
        "| CPU ms (median) | bytes |"
    )
    print("|---|---|---|---|---|")
    for label, result in results.items():
        print(
            f"| {label} | {result['median_ms']:.1f} | {result['p95_ms']:.1f} "
            f"| {result['cpu_ms']:.2f} | {result['bytes']:,.0f} |"
        )
    listing = results["PROPFIND Depth 1, getetag"]
    sync = results["sync-collection, 10 changes"]
    print(
        f"full listing / sync-collection: {listing['median_ms'] / sync['median_ms']:.0f}x time, "
        f"{listing['bytes'] / sync['bytes']:.0f}x bytes"
    )


if __name__ == "__main__":
    asyncio.run(main())
