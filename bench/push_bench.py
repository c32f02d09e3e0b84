"""Web Push fan-out benchmark: one message to a 200-member chat whose members each have a
browser subscribed, against a local push service.

The push service stand-in runs in a process of its own (an HTTP server on 127.0.0.1 that
answers 201 and counts), so that its work is not counted as the server's. The server runs
in-process (the app on an ASGI client, the embedded default's in-process task queue: the
``chat.send_push`` task runs in this process, as ``bca serve`` runs it without a broker).
Members, the chat and the subscriptions are made through the API; then, ``--runs`` times, the
owner posts a message and the clock runs until the stand-in has received a push for each of
the 199 other members. Reported per run: the post's latency, the time until every push
arrived, and this process's CPU (user + system) over that time, which is the push task's
(the post's own handling is included: a few milliseconds).

Run:  .venv/bin/python bench/push_bench.py [--members 200] [--runs 5]
      [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
SQLite in a scratch data dir by default; with ``--postgres`` a scratch database is created on
that server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.factories

from tests.factories.accounts import Api, TestUser
from tests.factories.chat import chat_user, new_chat
from tests.webpush.stand_in import PushService

from bca.app import create_app
from bca.core.migrations import upgrade
from bca.settings import load_settings
from bca.wiring import create_backends


def serve(port: Any, count: Any, ready: Any) -> None:
    """The push service stand-in's process: 201 for every push, counted."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with count.get_lock():
                count.value += 1
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port.value = server.server_address[1]
    ready.set()
    server.serve_forever()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


async def bench(database_url: str | None, members: int, runs: int) -> None:
    # Forked (before any thread of this process starts): a spawned child would import all of
    # this module's imports again first.
    context = multiprocessing.get_context("fork")
    port, count, ready = context.Value("i", 0), context.Value("i", 0), context.Event()
    stand_in = context.Process(target=serve, args=(port, count, ready), daemon=True)
    stand_in.start()
    if not ready.wait(60):
        raise RuntimeError("the push service stand-in did not start")
    origin = f"http://127.0.0.1:{port.value}"
    data_dir = Path(tempfile.mkdtemp(prefix="bca-push-bench-"))
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "secret_key": "b" * 40,
        "rate_limit_enabled": False,
        "log_json": False,
        "log_level": "WARNING",
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "web_push_test_origins": origin,
    }
    if database_url:
        values["database_url"] = database_url
    settings = load_settings(**values)
    await asyncio.to_thread(upgrade, settings.resolved_database_url)
    backends = create_backends(settings)
    app = create_app(settings, backends=backends)
    keys = PushService(port=port.value)  # only to make browser keys; it does not listen here
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:
            api = Api(client, backends)
            started = time.perf_counter()
            people: list[TestUser] = [await chat_user(api) for _ in range(members)]
            chat = await new_chat(api, people[0], *people[1:], title="Everyone")
            for number, person in enumerate(people):
                browser = keys.browser(f"member-{number}")
                response = await client.post(
                    "/v1/push/web/subscriptions",
                    json=browser.subscription(previews=number % 2 == 0),
                    headers=person.headers,
                )
                assert response.status_code == 201, response.text
            await backends.tasks.drain()
            print(f"{members} members subscribed in {time.perf_counter() - started:.1f} s")

            expected = members - 1
            rows = []
            for run in range(1, runs + 1):
                before = count.value
                cpu = cpu_seconds()
                began = time.perf_counter()
                response = await client.post(
                    f"/v1/chats/{chat['id']}/messages",
                    json={"body": f"Run {run}: hello everyone"},
                    headers=people[0].headers,
                )
                posted = time.perf_counter() - began
                assert response.status_code == 201, response.text
                while count.value - before < expected:
                    if time.perf_counter() - began > 60:
                        raise TimeoutError(f"{count.value - before} of {expected} pushes")
                    await asyncio.sleep(0.001)
                delivered = time.perf_counter() - began
                used = cpu_seconds() - cpu
                await backends.tasks.drain()
                rows.append((posted, delivered, used))
                print(
                    f"run {run}: post {posted * 1000:.1f} ms, all {expected} pushes delivered"
                    f" after {delivered * 1000:.0f} ms, CPU {used * 1000:.0f} ms"
                    f" ({used / delivered:.2f} core)"
                )
            median = statistics.median
            print(
                f"median of {runs}: post {median(r[0] for r in rows) * 1000:.1f} ms, delivered"
                f" {median(r[1] for r in rows) * 1000:.0f} ms, CPU"
                f" {median(r[2] for r in rows) * 1000:.0f} ms"
                f" ({median(r[2] / r[1] for r in rows):.2f} core),"
                f" {median(r[2] for r in rows) / expected * 1000:.2f} ms CPU per push"
            )
    finally:
        await backends.close()
        stand_in.terminate()
        stand_in.join()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL to make a scratch database on")
    arguments = parser.parse_args()
    if not arguments.postgres:
        await bench(None, arguments.members, arguments.runs)
        return
    name = f"bca_bench_push_{uuid.uuid4().hex[:8]}"
    await admin(arguments.postgres, f'CREATE DATABASE "{name}"')
    try:
        url = f"{arguments.postgres.rsplit('/', 1)[0]}/{name}"
        await bench(url, arguments.members, arguments.runs)
    finally:
        with suppress(Exception):
            await admin(arguments.postgres, f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
