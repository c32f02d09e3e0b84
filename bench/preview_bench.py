"""Link-preview benchmark: the time from a post to its ``message_preview`` event, for a page of
a local site (issue 25, item 5).

The site (``tests/fixtures/pages.py``: ``/page`` with OpenGraph tags and a 64x32 PNG,
``/plain`` with a title and a description only) runs in a process of its own, so that its work
is not counted as the server's. The server runs in-process (the app on an ASGI client, the
embedded default's in-process task queue: ``chat.fetch_preview`` runs in this process, as
``bca serve`` runs it without a broker), with the site allowed by
``BCA_LINK_PREVIEW_TEST_ORIGINS``. Per run, Bob long-polls the chat from its newest event while
Alice posts a link; reported: the post's latency (the post is answered before anything is
fetched), and the time from the post until Bob's long-poll returned the ``message_preview``
(page fetched and parsed, image fetched, re-encoded and stored, the event written and
delivered). A post without a link is timed beside, for comparison.

Run:  .venv/bin/python bench/preview_bench.py [--runs 20]
      [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
SQLite in a scratch data dir by default; with ``--postgres`` a scratch database is created on
that server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.factories

from tests.factories.accounts import Api
from tests.factories.chat import chat_user, new_chat
from tests.fixtures.pages import PageServer

from bca.app import create_app
from bca.core.migrations import upgrade
from bca.settings import load_settings
from bca.wiring import create_backends


def serve(port: Any, ready: Any) -> None:
    site = PageServer.start()
    port.value = int(site.origin.rsplit(":", 1)[1])
    ready.set()
    while True:
        time.sleep(3600)


async def admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def bench(database_url: str | None, runs: int) -> None:
    context = multiprocessing.get_context("fork")
    port, ready = context.Value("i", 0), context.Event()
    site = context.Process(target=serve, args=(port, ready), daemon=True)
    site.start()
    if not ready.wait(60):
        raise RuntimeError("the local site did not start")
    origin = f"http://127.0.0.1:{port.value}"
    values: dict[str, Any] = {
        "data_dir": Path(tempfile.mkdtemp(prefix="bca-preview-bench-")),
        "secret_key": "b" * 40,
        "rate_limit_enabled": False,
        "log_json": False,
        "log_level": "WARNING",
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "link_preview_test_origins": origin,
    }
    if database_url:
        values["database_url"] = database_url
    settings = load_settings(**values)
    await asyncio.to_thread(upgrade, settings.resolved_database_url)
    backends = create_backends(settings)
    app = create_app(settings, backends=backends)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=30
        ) as client:
            api = Api(client, backends)
            alice, bob = await chat_user(api), await chat_user(api)
            chat = await new_chat(api, alice, bob)
            events = f"/v1/chats/{chat['id']}/events"
            newest = int(chat["last_event_index"])
            results: dict[str, list[tuple[float, float]]] = {}
            for label, path in (
                ("page with an image", "/page"),
                ("title only", "/plain"),
                ("no link", None),
            ):
                rows = []
                for run in range(runs):
                    body = f"run {run}: {origin}{path}?r={run}" if path else f"run {run}: hello"
                    waiting = asyncio.create_task(
                        client.get(
                            events,
                            params={"after": newest + 1, "wait": 20},
                            headers=bob.headers,
                        )
                    )
                    await asyncio.sleep(0.05)
                    began = time.perf_counter()
                    posted = await client.post(
                        f"/v1/chats/{chat['id']}/messages",
                        json={"body": body},
                        headers=alice.headers,
                    )
                    post_latency = time.perf_counter() - began
                    assert posted.status_code == 201, posted.text
                    newest = posted.json()["index"]
                    if path is None:
                        waiting.cancel()
                        with suppress(asyncio.CancelledError):
                            await waiting
                        rows.append((post_latency, 0.0))
                        continue
                    page = (await waiting).json()
                    preview_after = time.perf_counter() - began
                    kinds = [event["type"] for event in page["events"]]
                    assert kinds == ["message_preview"], kinds
                    newest = page["next_after"]
                    rows.append((post_latency, preview_after))
                    await backends.tasks.drain()
                results[label] = rows
            print(f"\n{runs} runs each, {'PostgreSQL' if database_url else 'SQLite'}:\n")
            print("| link | post latency p50 | post -> message_preview p50 | p90 |")
            print("|---|---|---|---|")
            for label, rows in results.items():
                posts = sorted(row[0] for row in rows)
                previews = sorted(row[1] for row in rows)
                p90 = previews[int(len(previews) * 0.9) - 1] if previews else 0.0
                shown = "—" if label == "no link" else ms(statistics.median(previews))
                print(
                    f"| {label} | {ms(statistics.median(posts))} | {shown} |"
                    f" {'—' if label == 'no link' else ms(p90)} |"
                )
    finally:
        await backends.close()
        site.terminate()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL server to make a scratch database on")
    args = parser.parse_args()
    if not args.postgres:
        await bench(None, args.runs)
        return
    name = f"bca_preview_bench_{uuid.uuid4().hex[:8]}"
    base = args.postgres.rsplit("/", 1)[0]
    await admin(args.postgres, f'CREATE DATABASE "{name}"')
    try:
        await bench(f"{base}/{name}", args.runs)
    finally:
        await admin(args.postgres, f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
