"""Search benchmark (issue 24), in-process against a scratch PostgreSQL database.

1. **Relevance** on the relevance set of ``tests/search/relevance.py`` (306 documents, 290
   queries), three ways over the same texts: B.Ca's tokens (``array_to_tsvector`` of
   ``bca.search.tokens``, GIN), PostgreSQL's plain ``to_tsvector('simple', text)`` with
   ``plainto_tsquery('simple', q)``, and ``pg_trgm`` (``text ILIKE '%q%'`` over a
   ``gin_trgm_ops`` index, the usual substring search): micro-averaged recall and precision,
   per query family too.
2. **Latency** of ``GET /v1/search``'s service call (query tokens with Kiwi, then the scoped
   statements) over ``--messages`` index rows in ``--chats`` chats (the searching user in
   ``--my-chats``), ``--cards`` cards (200 in the user's wallet) and ``--contacts`` contacts:
   p50/p99 per kind over the set's queries. Index rows are written straight into the tables
   (texts tokenized once and reused), as the worker would have.
3. **Index size** per message row (table + GIN index).
4. **Reindex**: ``--reindex-messages`` real message events indexed from scratch by
   ``bca.search.tasks.reindex_all`` (Kiwi included): messages per second.

    flock /tmp/bca-bench.lock .venv/bin/python bench/search_bench.py
    flock /tmp/bca-bench.lock .venv/bin/python bench/search_bench.py \
        --messages 1000000 --chats 10000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.search.relevance import build, score

from bca.accounts.models import User
from bca.cards.models import Card, Subscription
from bca.chat.models import Chat, Participant
from bca.contacts.models import Contact
from bca.core.db import Database
from bca.core.migrations import upgrade
from bca.domains import assemble
from bca.profiles.models import Profile
from bca.search import service, tasks
from bca.search.models import SearchEntry
from bca.search.repository import tsquery_of
from bca.search.schemas import SearchKind
from bca.search.tokens import index_terms_of, query_terms

ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def admin(statement: str) -> None:
    engine = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


# --- 1. relevance ----------------------------------------------------------------------------


async def relevance(session: AsyncSession) -> None:
    relevance_set = build()
    await session.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    await session.execute(
        text("CREATE TABLE bench_docs (id int PRIMARY KEY, body text NOT NULL, terms text)")
    )
    await session.execute(
        text("INSERT INTO bench_docs VALUES (:id, :body, :terms)"),
        [
            {"id": doc.id, "body": doc.text, "terms": index_terms_of([doc.text])}
            for doc in relevance_set.documents
        ],
    )
    await session.execute(
        text(
            "CREATE INDEX ON bench_docs USING gin (array_to_tsvector(string_to_array(terms, ' ')))"
        )
    )
    await session.execute(
        text("CREATE INDEX ON bench_docs USING gin (to_tsvector('simple', body))")
    )
    await session.execute(text("CREATE INDEX ON bench_docs USING gin (body gin_trgm_ops)"))

    async def ours(q: str) -> set[int]:
        query = query_terms(q)
        if query.empty:
            return set()
        rows = await session.execute(
            text(
                "SELECT id FROM bench_docs WHERE array_to_tsvector(string_to_array(terms, ' '))"
                " @@ to_tsquery('simple', :q)"
            ),
            {"q": tsquery_of(query)},
        )
        return {row[0] for row in rows}

    async def simple(q: str) -> set[int]:
        rows = await session.execute(
            text(
                "SELECT id FROM bench_docs"
                " WHERE to_tsvector('simple', body) @@ plainto_tsquery('simple', :q)"
            ),
            {"q": q},
        )
        return {row[0] for row in rows}

    async def trigram(q: str) -> set[int]:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await session.execute(
            text("SELECT id FROM bench_docs WHERE body ILIKE :p"), {"p": pattern}
        )
        return {row[0] for row in rows}

    print(f"\n### Relevance ({len(relevance_set.documents)} documents, "
          f"{len(relevance_set.cases)} queries)\n")  # fmt: skip
    measured = {}
    for name, method in (
        ("B.Ca tokens (GIN)", ours),
        ("`simple` tsvector", simple),
        ("pg_trgm (ILIKE)", trigram),
    ):
        results = [await method(case.query) for case in relevance_set.cases]
        measured[name] = score(relevance_set.cases, results)
    families = sorted({case.family for case in relevance_set.cases})
    print("| method | recall | precision | " + " | ".join(families) + " |")
    print("|---|---|---|" + "---|" * len(families))
    for name, result in measured.items():
        cells = [f"{result.by_family[f][0]:.2f} / {result.by_family[f][1]:.2f}" for f in families]
        print(
            f"| {name} | {result.recall:.3f} | {result.precision:.3f} | " + " | ".join(cells) + " |"
        )
    # What pg_trgm's index gives for two syllables: candidates to recheck vs rows found.
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    for label, pattern in (("two syllables", "%결제%"), ("three syllables", "%세금계%")):
        plan = "\n".join(
            row[0]
            for row in await session.execute(
                text("EXPLAIN ANALYZE SELECT id FROM bench_docs WHERE body ILIKE :p"),
                {"p": pattern},
            )
        )
        removed = next(
            (
                line.split(":")[1].strip()
                for line in plan.splitlines()
                if "Removed by Index" in line
            ),
            "0",
        )
        print(
            f"\npg_trgm index, {label}: {removed} of {len(relevance_set.documents)}"
            " candidates rechecked and dropped"
        )


# --- 2. latency ------------------------------------------------------------------------------


async def seed(
    database: Database, args: argparse.Namespace
) -> tuple[uuid.UUID, uuid.UUID, list[str]]:
    relevance_set = build()
    rng = random.Random(7)
    texts = [doc.text for doc in relevance_set.documents if doc.kind == "message"]
    terms = [index_terms_of([body]) for body in texts]
    async with database.transaction() as session:
        me, my_profile = uuid.uuid4(), uuid.uuid4()
        owners = [uuid.uuid4() for _ in range(200)]
        await session.execute(
            insert(User),
            [
                {"id": id_, "email": f"{id_}@example.com", "username": id_.hex[:30],
                 "password_hash": "x"}
                for id_ in [me, *owners]
            ],
        )  # fmt: skip
        profiles = [uuid.uuid4() for _ in range(args.profiles)]
        await session.execute(
            insert(Profile),
            [{"id": my_profile, "user_id": me, "name": "me"}]
            + [
                {"id": id_, "user_id": owners[i % len(owners)], "name": f"p{i}"}
                for i, id_ in enumerate(profiles)
            ],
        )
        chats = [uuid.uuid4() for _ in range(args.chats)]
        await session.execute(
            insert(Chat), [{"id": chat, "owner_profile_id": my_profile} for chat in chats]
        )
        await session.execute(
            insert(Participant),
            [
                {"chat_id": chat, "profile_id": my_profile, "user_id": me}
                for chat in rng.sample(chats, args.my_chats)
            ],
        )
        started = time.monotonic()
        await session.execute(
            text(
                "INSERT INTO search_messages (chat_id, message_index, valid_from, profile_id,"
                " created_at, text, terms)"
                " SELECT (CAST(:chats AS uuid[]))[1 + i % :n], 1 + i / :n, 1 + i / :n,"
                " CAST(:profile AS uuid), now() - i * interval '1 second',"
                " (CAST(:texts AS text[]))[1 + i % :t], (CAST(:terms AS text[]))[1 + i % :t]"
                " FROM generate_series(0, :rows - 1) AS i"
            ),
            {
                "chats": chats,
                "n": len(chats),
                "profile": my_profile,
                "texts": texts,
                "terms": terms,
                "t": len(texts),
                "rows": args.messages,
            },
        )
        print(f"seeded {args.messages:,} message rows in {time.monotonic() - started:.1f} s")
        entry_docs = [doc.text for doc in relevance_set.documents if doc.kind != "message"]
        entry_terms = [index_terms_of([body]) for body in entry_docs]
        cards = [uuid.uuid4() for _ in range(args.cards)]
        await session.execute(
            insert(Card),
            [
                {"id": id_, "profile_id": profiles[i % len(profiles)], "name": f"c{i}"}
                for i, id_ in enumerate(cards)
            ],
        )
        await session.execute(
            insert(Subscription),
            [{"profile_id": my_profile, "card_id": card} for card in cards[:200]],
        )
        contacts = [uuid.uuid4() for _ in range(args.contacts)]
        await session.execute(
            insert(Contact),
            [
                {"id": id_, "profile_id": my_profile if i < 1000 else profiles[i % len(profiles)],
                 "name": f"k{i}"}
                for i, id_ in enumerate(contacts)
            ],
        )  # fmt: skip
        entries = (
            [("card", id_, profiles[i % len(profiles)]) for i, id_ in enumerate(cards)]
            + [("contact", id_, my_profile) for id_ in contacts]
            + [(kind, id_, id_) for id_ in profiles for kind in ("profile", "profile_name")]
        )
        for start in range(0, len(entries), 20_000):
            await session.execute(
                insert(SearchEntry),
                [
                    {
                        "kind": kind,
                        "entity_id": id_,
                        "profile_id": owner,
                        "text": entry_docs[i % len(entry_docs)],
                        "terms": entry_terms[i % len(entry_terms)],
                    }
                    for i, (kind, id_, owner) in enumerate(entries[start : start + 20_000], start)
                ],
            )
    async with database.engine.connect() as connection:
        await connection.execute(text("COMMIT"))
        for table in (
            "search_messages",
            "search_entries",
            "chat_participants",
            "chats",
            "cards",
            "subscriptions",
            "contacts",
            "profiles",
            "users",
        ):
            await connection.execute(text(f"VACUUM ANALYZE {table}"))  # fmt: skip
    return me, my_profile, [case.query for case in relevance_set.cases]


async def latency(database: Database, me: uuid.UUID, queries: list[str]) -> None:
    await service.tokenize_query("워밍업")  # Kiwi's model, loaded once per process
    print("\n### Latency (service call: Kiwi query tokens + statements), ms\n")
    print("| kinds | p50 | p99 | max |")
    print("|---|---|---|---|")
    for kinds in (
        [SearchKind.messages],
        [SearchKind.cards],
        [SearchKind.contacts],
        [SearchKind.profiles],
        list(SearchKind),
    ):
        times = []
        for q in queries:
            async with database.transaction() as session:
                started = time.perf_counter()
                await service.search(
                    session,
                    user_id=me,
                    q=q,
                    kinds=kinds,
                    chat_id=None,
                    profile_id=None,
                    cursor=None,
                    limit=20,
                )
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        label = ",".join(kind.value for kind in kinds) if len(kinds) == 1 else "all four"
        print(f"| {label} | {statistics.median(times):.1f} | {p99:.1f} | {times[-1]:.1f} |")


async def sizes(session: AsyncSession, messages: int) -> None:
    row = (
        await session.execute(
            text(
                "SELECT pg_relation_size('search_messages'),"
                " pg_relation_size('ix_search_messages_tokens'),"
                " pg_total_relation_size('search_messages')"
            )
        )
    ).one()
    print(
        f"\n### Index size\n\nsearch_messages: table {row[0] / messages:.0f} B/row, GIN "
        f"{row[1] / messages:.0f} B/row, total with every index and TOAST "
        f"{row[2] / messages:.0f} B/row ({row[2] / 1e6:.0f} MB for {messages:,} rows)"
    )


# --- 4. reindex ------------------------------------------------------------------------------


async def reindex(database: Database, count: int) -> None:
    relevance_set = build()
    texts = [doc.text for doc in relevance_set.documents if doc.kind == "message"]
    async with database.transaction() as session:
        await session.execute(text("TRUNCATE search_messages, search_entries, search_chats"))
        profile = (await session.execute(text("SELECT id FROM profiles LIMIT 1"))).scalar_one()
        chats = [uuid.uuid4() for _ in range(max(1, count // 100))]
        await session.execute(
            insert(Chat), [{"id": chat, "owner_profile_id": profile} for chat in chats]
        )
        await session.execute(
            text(
                "INSERT INTO chat_events (chat_id, index, type, profile_id, created_at, body)"
                " SELECT (CAST(:chats AS uuid[]))[1 + i % :n], 1 + i / :n, 'message',"
                " CAST(:profile AS uuid), now(), (CAST(:texts AS text[]))[1 + i % :t]"
                " FROM generate_series(0, :rows - 1) AS i"
            ),
            {"chats": chats, "n": len(chats), "profile": profile, "texts": texts,
             "t": len(texts), "rows": count},
        )  # fmt: skip
        await session.execute(text("TRUNCATE cards CASCADE"))  # messages timed alone
    started = time.monotonic()
    backends: Any = SimpleNamespace(database=database)
    counts = await tasks.reindex_all(backends, batch=500)
    took = time.monotonic() - started
    print(
        f"\n### Reindex\n\n`reindex_all`: {count:,} messages in {len(chats):,} chats"
        f" (+ {counts['profiles']:,} profiles, {counts['contacts']:,} contacts) in {took:.1f} s:"
        f" {count / took:.0f} messages/s"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--my-chats", type=int, default=200)
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--profiles", type=int, default=2_000)
    parser.add_argument("--reindex-messages", type=int, default=5_000)
    args = parser.parse_args()
    name = f"bca_search_bench_{uuid.uuid4().hex[:8]}"
    await admin(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        await asyncio.to_thread(upgrade, url)
        assemble()
        database = Database(url)
        async with database.transaction() as session:
            await relevance(session)
        me, _, queries = await seed(database, args)
        await latency(database, me, queries)
        async with database.transaction() as session:
            await sizes(session, args.messages)
        await reindex(database, args.reindex_messages)
        await database.dispose()
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
