"""Chat benchmark: message-post throughput and post-to-WebSocket delivery latency.

Starts ``bca serve`` on a fresh PostgreSQL database with Redis (or targets running servers
with ``--url``), creates its users through the API, then measures:

1. throughput: 20 concurrent senders posting into one shared group chat (every writer queues on
   the chat's row lock, the worst case), and into 20 separate direct chats (no shared lock);
2. latency: one sender posts into a group chat whose 50 other members are connected over
   WebSocket; each delivery's latency is its arrival time minus the moment before the POST.

Prints a markdown table. Servers it starts run with ``BCA_RATE_LIMIT_ENABLED=false`` and
``BCA_REQUIRE_EMAIL_VERIFICATION=false``; servers given with ``--url`` must run like that too.

    .venv/bin/python bench/chat_bench.py                 # one instance
    .venv/bin/python bench/chat_bench.py --instances 2   # receivers and senders spread over two
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.asyncio.client import ClientConnection, connect

BCA = str(Path(sys.executable).with_name("bca"))
PASSWORD = "bench-password-123"  # noqa: S105  # throwaway accounts of a throwaway database


@dataclass
class User:
    name: str
    token: str = ""
    profile_id: str = ""
    server: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Row:
    values: list[str] = field(default_factory=list)


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    position = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[position]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- servers ---------------------------------------------------------------------------------


class Servers:
    """Servers started for the run, on a database created for it (both removed at the end)."""

    def __init__(self, admin_url: str, redis_url: str, instances: int, workdir: Path) -> None:
        self.admin_url = admin_url
        self.redis_url = redis_url
        self.instances = instances
        self.workdir = workdir
        self.database = f"bca_bench_{uuid.uuid4().hex[:8]}"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []

    async def _admin(self, statement: str) -> None:
        engine = create_async_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    async def start(self) -> list[str]:
        await self._admin(f'CREATE DATABASE "{self.database}"')
        base, _ = self.admin_url.rsplit("/", 1)
        env = {key: value for key, value in os.environ.items() if not key.startswith("BCA_")} | {
            "BCA_MODE": "production",
            "BCA_DATABASE_URL": f"{base}/{self.database}",
            "BCA_REDIS_URL": self.redis_url,
            "BCA_SECRET_KEY": secrets.token_urlsafe(48),
            "BCA_DATA_DIR": str(self.workdir / "var"),
            "BCA_RATE_LIMIT_ENABLED": "false",
            "BCA_REQUIRE_EMAIL_VERIFICATION": "false",
            "BCA_MAIL_BACKEND": "off",
            "BCA_LOG_LEVEL": "WARNING",
            "BCA_LOG_JSON": "false",
            "BCA_DATABASE_POOL_SIZE": "20",
        }
        await asyncio.to_thread(
            subprocess.run, [BCA, "db", "upgrade"], env=env, check=True, capture_output=True
        )
        for _ in range(self.instances):
            port = free_port()
            log = (self.workdir / f"server-{port}.log").open("wb")
            self.processes.append(
                subprocess.Popen(  # noqa: ASYNC220  # starting, not waiting for, the server
                    [BCA, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
                )
            )
            self.urls.append(f"http://127.0.0.1:{port}")
        async with httpx.AsyncClient() as client:
            for url in self.urls:
                for _ in range(300):
                    with suppress(httpx.TransportError):
                        if (await client.get(f"{url}/healthz")).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
                else:
                    raise SystemExit(f"bca serve at {url} did not start; see {self.workdir}")
        return self.urls

    async def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        await self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


# --- API helpers -----------------------------------------------------------------------------


async def expect(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    if response.status_code not in statuses:
        raise SystemExit(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json() if response.content else {}


async def create_user(client: httpx.AsyncClient, server: str, name: str) -> User:
    body = {"email": f"{name}@bench.example", "username": name, "password": PASSWORD}
    await expect(await client.post(f"{server}/v1/auth/signup", json=body), 201)
    tokens = await expect(
        await client.post(f"{server}/v1/auth/signin", json={"login": name, "password": PASSWORD}),
        200,
    )
    user = User(name=name, token=tokens["access_token"], server=server)
    profiles = await expect(await client.get(f"{server}/v1/profiles", headers=user.headers), 200)
    user.profile_id = profiles["items"][0]["id"]
    return user


async def create_users(
    client: httpx.AsyncClient, servers: list[str], prefix: str, count: int
) -> list[User]:
    users = []
    for start in range(0, count, 10):  # a few at a time: sign-up hashes a password
        batch = range(start, min(count, start + 10))
        users += await asyncio.gather(
            *(create_user(client, servers[n % len(servers)], f"{prefix}{n}") for n in batch)
        )
    return users


async def follow(client: httpx.AsyncClient, fan: User, idol: User) -> None:
    url = f"{fan.server}/v1/profiles/{fan.profile_id}/relations/{idol.profile_id}"
    await expect(await client.put(url, json={"status": "follow"}, headers=fan.headers), 200)


async def create_chat(
    client: httpx.AsyncClient, owner: User, members: list[User], *, direct: bool = False
) -> str:
    await asyncio.gather(*(follow(client, member, owner) for member in members))
    body = {
        "profile_id": owner.profile_id,
        "participant_ids": [member.profile_id for member in members],
        "direct": direct,
    }
    chat = await expect(
        await client.post(f"{owner.server}/v1/chats", json=body, headers=owner.headers), 201
    )
    return str(chat["id"])


async def post(client: httpx.AsyncClient, user: User, chat_id: str, body: str) -> float:
    started = time.perf_counter()
    await expect(
        await client.post(
            f"{user.server}/v1/chats/{chat_id}/messages", json={"body": body}, headers=user.headers
        ),
        201,
    )
    return time.perf_counter() - started


# --- measurements ----------------------------------------------------------------------------


async def throughput(
    client: httpx.AsyncClient, senders: list[User], chats: list[str], per_sender: int
) -> tuple[float, list[float]]:
    """Every sender posts ``per_sender`` messages in a row into its chat, all at once."""

    async def run(sender: User, chat_id: str) -> list[float]:
        return [await post(client, sender, chat_id, f"m{n}") for n in range(per_sender)]

    started = time.perf_counter()
    results = await asyncio.gather(
        *(run(sender, chat_id) for sender, chat_id in zip(senders, chats, strict=True))
    )
    return time.perf_counter() - started, [latency for result in results for latency in result]


async def delivery(
    client: httpx.AsyncClient,
    sender: User,
    receivers: list[User],
    chat_id: str,
    messages: int,
    interval: float,
) -> tuple[list[float], list[float], int]:
    """Latency of every (message, receiver) delivery, of every POST, and how many deliveries
    never arrived."""
    sent_at: dict[str, float] = {}
    samples: list[float] = []
    posts: list[float] = []
    expected = messages * len(receivers)

    async def listen(ws: ClientConnection, done: asyncio.Event) -> None:
        seen = 0
        while seen < messages:
            frame = json.loads(await ws.recv())
            if frame.get("type") != "event" or frame["event"]["type"] != "message":
                continue
            arrived = time.perf_counter()
            samples.append(arrived - sent_at[frame["event"]["body"]])
            seen += 1
        done.set()

    sockets = []
    for receiver in receivers:
        url = receiver.server.replace("http://", "ws://") + f"/v1/ws?access_token={receiver.token}"
        ws = await connect(url, max_queue=None)
        hello = json.loads(await ws.recv())
        assert hello["type"] == "ready", hello
        sockets.append(ws)
    finished = [asyncio.Event() for _ in sockets]
    listeners = [
        asyncio.create_task(listen(ws, done)) for ws, done in zip(sockets, finished, strict=True)
    ]
    try:
        for n in range(messages):
            body = f"probe-{n}"
            sent_at[body] = time.perf_counter()
            posts.append(await post(client, sender, chat_id, body))
            await asyncio.sleep(interval)
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(done.wait() for done in finished)), 30)
    finally:
        for listener in listeners:
            listener.cancel()
        for ws in sockets:
            await ws.close()
    return samples, posts, expected - len(samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", help="target running server(s) instead")
    parser.add_argument("--instances", type=int, default=1, help="servers to start")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "BCA_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
        help="admin URL: a database is created (and dropped) next to it",
    )
    parser.add_argument(
        "--redis", default=os.environ.get("BCA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--per-sender", type=int, default=25)
    parser.add_argument("--receivers", type=int, default=50)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between probes")
    args = parser.parse_args()

    servers: Servers | None = None
    workdir = Path(tempfile.mkdtemp(prefix="bca-bench-"))
    if args.url:
        urls = [url.rstrip("/") for url in args.url]
    else:
        servers = Servers(args.postgres, args.redis, args.instances, workdir)
        urls = await servers.start()
    run = uuid.uuid4().hex[:6]
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    try:
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            senders = await create_users(client, urls, f"s{run}_", args.senders)
            receivers = await create_users(client, urls, f"r{run}_", args.receivers)

            shared = await create_chat(client, senders[0], senders[1:])
            pairs = [
                await create_chat(client, sender, [senders[(n + 1) % len(senders)]], direct=True)
                for n, sender in enumerate(senders)
            ]
            rows = []
            for label, chats in (
                ("one shared group chat", [shared] * len(senders)),
                ("20 direct chats", pairs),
            ):
                elapsed, latencies = await throughput(client, senders, chats, args.per_sender)
                count = len(latencies)
                rows.append(
                    f"| post, {label} | {len(senders)} senders | {count} | {elapsed:.1f} s "
                    f"| **{count / elapsed:.0f} msg/s** | {ms(statistics.median(latencies))} "
                    f"| {ms(percentile(latencies, 0.99))} |"
                )

            audience = await create_chat(client, senders[0], receivers)
            samples, posts, missing = await delivery(
                client, senders[0], receivers, audience, args.probes, args.interval
            )
            members = len(receivers) + 1
            rows.append(
                f"| post → WebSocket, {members}-member chat | {len(receivers)} receivers "
                f"| {len(samples)} deliveries ({missing} missing) | — | — "
                f"| **{ms(statistics.median(samples))}** | **{ms(percentile(samples, 0.99))}** |"
            )
            rows.append(
                f"| of which the POST itself, {members}-member chat | 1 sender, "
                f"{args.interval * 1000:.0f} ms apart | {len(posts)} | — | — "
                f"| {ms(statistics.median(posts))} | {ms(percentile(posts, 0.99))} |"
            )
    finally:
        if servers is not None:
            await servers.stop()

    where = f"{len(urls)} instance(s)" + (" (targeted)" if args.url else " started by the bench")
    print(f"\nB.Ca chat benchmark — {where}, PostgreSQL + Redis\n")
    print("| measurement | load | events | time | throughput | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)


if __name__ == "__main__":
    asyncio.run(main())
