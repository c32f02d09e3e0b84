"""Message-path benchmark: the load shapes of the message-path issue, against real servers.

Starts ``bca serve`` (``--workers N``) on a scratch PostgreSQL database with Redis, rate limits
and mail off, creates every user, relation and chat through the API, then runs the scenarios
below, each ``--runs`` times, and prints medians as markdown tables. The client is one asyncio
process (httpx with keep-alive, ``websockets``); its own CPU is reported, since it shares the
machine's cores with the servers, PostgreSQL and Redis.

Scenarios (``--scenarios``, comma-separated; all by default):
- ``post``: 20 senders x 50 messages into one 20-member chat, 20 at once: msg/s, p50/p99.
- ``post-keyed``: the same with an ``Idempotency-Key`` on every post (as the app sends them):
  the headline figure.
- ``single``: one sender, 200 messages one after another: p50/p99 per post.
- ``single-keyed``: the same with an ``Idempotency-Key`` on every post.

Every posting scenario reports the servers' CPU per post (user + system time of the server
processes from /proc over the run, divided by the posts): far less sensitive than the rate to
other work sharing the machine. ``--checkout`` runs another checkout's server (its ``.venv``)
with this script, to compare two trees in one session.
- ``history``: post latency (one sender, 200 posts) in a chat with 100 earlier messages and in
  one with 10,000 (history written straight into the tables, as the API would have), and the
  ratio of the two medians.
- ``fanout``: one sender posts 200 messages, 20 a second, into an 11-member chat whose 10
  other members listen over WebSocket, then (another run) long-poll: send-to-receive
  p50/p99 and the servers' CPU over the run.
- ``idle``: ``--idle`` idle WebSockets on one worker: server RSS per connection; delivery
  p50/p99 in a 10-member chat while they are open; RSS after closing and reopening them
  three times; a burst of 1,000 simultaneous handshakes (failures counted).
- ``burst``: 500 authenticated requests (``GET /v1/chats``) at once, each on a connection of
  its own: failures, p50/p99 and the time until the last one answered.
- ``reactions``: 20 people of a 20-member chat react at once on one message, 5 emoji each
  (each a ``reaction_added`` event under the chat's lock): reactions/s, per-reaction p50/p99;
  the counts and the indexes are checked afterwards (exact, gapless).

    .venv/bin/python bench/chat_bench.py                         # everything, --workers 1
    .venv/bin/python bench/chat_bench.py --workers 2 --scenarios post
    .venv/bin/python bench/chat_bench.py --checkout ../other-tree --scenarios post-keyed
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.asyncio.client import ClientConnection, connect

BCA = Path(sys.executable).with_name("bca")
PASSWORD = "bench-password-123"  # noqa: S105  # throwaway accounts of a throwaway database
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class User:
    name: str
    token: str = ""
    profile_id: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- processes --------------------------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (uvicorn's workers are children of its supervisor)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError, IndexError, ValueError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending += children.get(pid, [])
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    total = 0
    for pid in pids:
        with suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def rss_bytes(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        with suppress(OSError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    return total


class Meter:
    """CPU (in cores) of the servers and of this client over a stretch of time."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = pids

    def __enter__(self) -> Meter:
        self.wall = time.perf_counter()
        self.server = cpu_seconds(self.pids)
        self.client = time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.elapsed = time.perf_counter() - self.wall
        self.server_seconds = cpu_seconds(self.pids) - self.server
        self.server_cores = self.server_seconds / self.elapsed
        self.client_cores = (time.process_time() - self.client) / self.elapsed


class Server:
    """``bca serve`` on a database created for it; everything removed at the end."""

    def __init__(
        self, admin_url: str, redis_url: str, workers: int, workdir: Path, bca: Path = BCA
    ) -> None:
        self.bca = str(bca)
        self.admin_url = admin_url
        self.redis_url = redis_url
        self.workers = workers
        self.workdir = workdir
        self.database = f"bca_bench_{uuid.uuid4().hex[:8]}"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        base, _ = admin_url.rsplit("/", 1)
        self.database_url = f"{base}/{self.database}"

    async def admin(self, statement: str) -> None:
        engine = create_async_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    async def start(self) -> None:
        await self.admin(f'CREATE DATABASE "{self.database}"')
        env = {key: value for key, value in os.environ.items() if not key.startswith("BCA_")} | {
            "BCA_MODE": "production",
            "BCA_DATABASE_URL": self.database_url,
            "BCA_REDIS_URL": self.redis_url,
            "BCA_SECRET_KEY": secrets.token_urlsafe(48),
            "BCA_DATA_DIR": str(self.workdir / "var"),
            "BCA_RATE_LIMIT_ENABLED": "false",
            "BCA_REQUIRE_EMAIL_VERIFICATION": "false",
            "BCA_MAIL_BACKEND": "off",
            "BCA_LOG_LEVEL": "WARNING",
            "BCA_LOG_JSON": "false",
            "BCA_PASSWORD_HASH_TIME_COST": "1",
            "BCA_PASSWORD_HASH_MEMORY_KIB": "1024",
        }
        await asyncio.to_thread(
            subprocess.run, [self.bca, "db", "upgrade"], env=env, check=True, capture_output=True
        )
        port = free_port()
        log = (self.workdir / f"server-{port}.log").open("wb")
        self.process = subprocess.Popen(  # noqa: ASYNC220  # started, not waited for
            [self.bca, "serve", "--port", str(port), "--workers", str(self.workers)],
            env=env,
            stdout=log,
            stderr=log,
        )
        self.url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as client:
            for _ in range(1200):  # up to two minutes: the machine may be loaded
                with suppress(httpx.TransportError):
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise SystemExit(f"bca serve did not start; see {self.workdir}")

    @property
    def pids(self) -> list[int]:
        assert self.process is not None
        return process_tree(self.process.pid)

    async def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        await self.admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


# --- the API ----------------------------------------------------------------------------------


class Api:
    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client = client
        self.url = url

    async def call(self, method: str, path: str, *statuses: int, **kwargs: Any) -> Any:
        response = await self.client.request(method, f"{self.url}{path}", **kwargs)
        if response.status_code not in statuses:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    async def user(self, name: str) -> User:
        body = {"email": f"{name}@bench.example", "username": name, "password": PASSWORD}
        await self.call("POST", "/v1/auth/signup", 201, json=body)
        tokens = await self.call(
            "POST", "/v1/auth/signin", 200, json={"login": name, "password": PASSWORD}
        )
        user = User(name=name, token=tokens["access_token"])
        profiles = await self.call("GET", "/v1/profiles", 200, headers=user.headers)
        user.profile_id = profiles["items"][0]["id"]
        return user

    async def users(self, prefix: str, count: int) -> list[User]:
        made: list[User] = []
        for start in range(0, count, 20):
            batch = range(start, min(count, start + 20))
            made += await asyncio.gather(*(self.user(f"{prefix}{n}") for n in batch))
        return made

    async def chat(self, owner: User, members: Sequence[User]) -> str:
        async def follow(fan: User) -> None:
            path = f"/v1/profiles/{fan.profile_id}/relations/{owner.profile_id}"
            await self.call("PUT", path, 200, json={"status": "follow"}, headers=fan.headers)

        await asyncio.gather(*(follow(member) for member in members))
        body = {"profile_id": owner.profile_id, "participant_ids": [m.profile_id for m in members]}
        chat = await self.call("POST", "/v1/chats", 201, json=body, headers=owner.headers)
        return str(chat["id"])

    async def post(self, user: User, chat_id: str, body: str, *, keyed: bool = False) -> float:
        headers = user.headers | {"Idempotency-Key": str(uuid.uuid4())} if keyed else user.headers
        started = time.perf_counter()
        await self.call(
            "POST", f"/v1/chats/{chat_id}/messages", 201, json={"body": body}, headers=headers
        )
        return time.perf_counter() - started


def ws_url(api: Api, user: User) -> str:
    return api.url.replace("http://", "ws://") + f"/v1/ws?access_token={user.token}"


async def open_socket(api: Api, user: User) -> ClientConnection:
    ws = await connect(ws_url(api, user), max_queue=None, open_timeout=60, ping_interval=None)
    hello = json.loads(await ws.recv())
    if hello.get("type") != "ready":
        raise SystemExit(f"no ready frame: {hello}")
    return ws


# --- scenarios --------------------------------------------------------------------------------


Row = dict[str, float]


async def _concurrent(api: Api, server: Server, run: str, *, keyed: bool) -> Row:
    senders = await api.users(f"p{run}_", 20)
    chat_id = await api.chat(senders[0], senders[1:])

    async def send(sender: User) -> list[float]:
        return [await api.post(sender, chat_id, f"m{n}", keyed=keyed) for n in range(50)]

    with Meter(server.pids) as meter:
        results = await asyncio.gather(*(send(sender) for sender in senders))
    latencies = [latency for result in results for latency in result]
    return {
        "msg/s": len(latencies) / meter.elapsed,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "server cores": meter.server_cores,
        "client cores": meter.client_cores,
        "server CPU per post ms": meter.server_seconds / len(latencies) * 1000,
    }


async def scenario_post(api: Api, server: Server, run: str) -> Row:
    return await _concurrent(api, server, run, keyed=False)


async def scenario_post_keyed(api: Api, server: Server, run: str) -> Row:
    return await _concurrent(api, server, run, keyed=True)


async def _sequential(
    api: Api, server: Server, sender: User, chat_id: str, count: int, *, keyed: bool = False
) -> Row:
    with Meter(server.pids) as meter:
        latencies = [await api.post(sender, chat_id, f"s{n}", keyed=keyed) for n in range(count)]
    return {
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "server cores": meter.server_cores,
        "client cores": meter.client_cores,
        "server CPU per post ms": meter.server_seconds / count * 1000,
    }


async def scenario_single(api: Api, server: Server, run: str) -> Row:
    users = await api.users(f"o{run}_", 20)
    chat_id = await api.chat(users[0], users[1:])
    return await _sequential(api, server, users[1], chat_id, 200)


async def scenario_single_keyed(api: Api, server: Server, run: str) -> Row:
    users = await api.users(f"k{run}_", 20)
    chat_id = await api.chat(users[0], users[1:])
    return await _sequential(api, server, users[1], chat_id, 200, keyed=True)


async def seed_history(server: Server, chat_id: str, authors: Sequence[User], count: int) -> None:
    """``count`` messages straight into the tables, as the API writes them: the events, the
    chat's counter and each poster's change-log entry."""
    engine = create_async_engine(server.database_url)
    async with engine.begin() as connection:
        start = await connection.scalar(
            text("SELECT last_event_index FROM chats WHERE id = :chat"), {"chat": chat_id}
        )
        await connection.execute(
            text(
                'INSERT INTO chat_events (chat_id, "index", type, profile_id, created_at, body) '
                "SELECT :chat, :start + n, 'message', "
                "(CAST(:authors AS uuid[]))[1 + n % :authors_count], now(), 'history ' || n "
                "FROM generate_series(1, :count) AS n"
            ),
            {
                "chat": chat_id,
                "start": start,
                "count": count,
                "authors": [a.profile_id for a in authors],
                "authors_count": len(authors),
            },
        )
        await connection.execute(
            text(
                "UPDATE chats SET last_event_index = last_event_index + :count, "
                "last_event_at = now() WHERE id = :chat"
            ),
            {"chat": chat_id, "count": count},
        )
        await connection.execute(
            text(
                "WITH posters AS (SELECT p.user_id FROM chat_participants p "
                "WHERE p.chat_id = :chat), per AS (SELECT user_id, :count / "
                "(SELECT count(*) FROM posters) AS k FROM posters) "
                "INSERT INTO sync_changes (user_id, seq, entity, entity_id, op, created_at) "
                "SELECT per.user_id, c.last_seq + n, 'chat', :chat_text, 'upsert', now() "
                "FROM per JOIN sync_change_counters c ON c.user_id = per.user_id, "
                "generate_series(1, per.k) AS n"
            ),
            {"chat": chat_id, "chat_text": chat_id, "count": count},
        )
        await connection.execute(
            text(
                "UPDATE sync_change_counters c SET last_seq = "
                "(SELECT max(seq) FROM sync_changes s WHERE s.user_id = c.user_id) "
                "WHERE c.user_id IN (SELECT user_id FROM chat_participants WHERE chat_id = :chat)"
            ),
            {"chat": chat_id},
        )
    await engine.dispose()


async def scenario_history(api: Api, server: Server, run: str) -> Row:
    users = await api.users(f"h{run}_", 20)
    short = await api.chat(users[0], users[1:])
    long = await api.chat(users[0], users[1:])
    await seed_history(server, short, users, 100)
    await seed_history(server, long, users, 10_000)
    after_100 = await _sequential(api, server, users[2], short, 200)
    after_10k = await _sequential(api, server, users[2], long, 200)
    return {
        "p50 after 100": after_100["p50"],
        "p50 after 10,000": after_10k["p50"],
        "ratio": after_10k["p50"] / after_100["p50"],
    }


async def _probe(
    api: Api,
    server: Server,
    sender: User,
    chat_id: str,
    listen: Callable[[dict[str, float], list[float]], Awaitable[None]],
    messages: int,
) -> Row:
    sent_at: dict[str, float] = {}
    samples: list[float] = []
    listener = asyncio.create_task(listen(sent_at, samples))
    await asyncio.sleep(1)
    with Meter(server.pids) as meter:
        for n in range(messages):
            body = f"probe-{uuid.uuid4().hex[:6]}-{n}"
            sent_at[body] = time.perf_counter()
            await api.post(sender, chat_id, body)
            await asyncio.sleep(0.05)
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(listener), 10)
    listener.cancel()
    with suppress(asyncio.CancelledError):
        await listener
    return {
        "p50": statistics.median(samples) if samples else float("nan"),
        "p99": percentile(samples, 0.99),
        "missing": messages * 10 - len(samples),
        "server cores": meter.server_cores,
        "client cores": meter.client_cores,
        "server CPU per post ms": meter.server_seconds / messages * 1000,
    }


async def _ws_listeners(
    api: Api, receivers: Sequence[User], messages: int
) -> Callable[[dict[str, float], list[float]], Awaitable[None]]:
    sockets = [await open_socket(api, receiver) for receiver in receivers]

    async def listen(sent_at: dict[str, float], samples: list[float]) -> None:
        async def one(ws: ClientConnection) -> None:
            seen = 0
            while seen < messages:
                frame = json.loads(await ws.recv())
                event = frame.get("event") or {}
                if event.get("type") == "message" and event.get("body") in sent_at:
                    samples.append(time.perf_counter() - sent_at[event["body"]])
                    seen += 1

        try:
            await asyncio.gather(*(one(ws) for ws in sockets))
        finally:
            for ws in sockets:
                await ws.close()

    return listen


def _poll_listeners(
    api: Api, receivers: Sequence[User], chat_id: str, messages: int
) -> Callable[[dict[str, float], list[float]], Awaitable[None]]:
    async def listen(sent_at: dict[str, float], samples: list[float]) -> None:
        async def one(receiver: User) -> None:
            url = f"/v1/chats/{chat_id}/events"
            chat = await api.call("GET", f"/v1/chats/{chat_id}", 200, headers=receiver.headers)
            after, seen = chat["last_event_index"], 0
            while seen < messages:
                page = await api.call(
                    "GET", url, 200, params={"after": after, "wait": 25}, headers=receiver.headers
                )
                arrived = time.perf_counter()
                for event in page["events"]:
                    if event["type"] == "message" and event["body"] in sent_at:
                        samples.append(arrived - sent_at[event["body"]])
                        seen += 1
                after = page["next_after"]

        await asyncio.gather(*(one(receiver) for receiver in receivers))

    return listen


async def scenario_fanout(api: Api, server: Server, run: str) -> dict[str, Row]:
    users = await api.users(f"f{run}_", 11)
    chat_id = await api.chat(users[0], users[1:])
    messages = 200
    websocket = await _probe(
        api, server, users[0], chat_id, await _ws_listeners(api, users[1:], messages), messages
    )
    polling = await _probe(
        api, server, users[0], chat_id, _poll_listeners(api, users[1:], chat_id, messages), messages
    )
    return {"WebSocket": websocket, "long-poll": polling}


async def scenario_idle(api: Api, server: Server, run: str, idle: int) -> Row:
    holders = await api.users(f"i{run}_", 20)  # idle sockets, none in the chat below
    members = await api.users(f"d{run}_", 10)
    chat_id = await api.chat(members[0], members[1:])
    pids = server.pids

    async def open_many(count: int) -> tuple[list[ClientConnection], int]:
        opened: list[ClientConnection] = []
        failures = 0
        for start in range(0, count, 500):
            batch = await asyncio.gather(
                *(
                    open_socket(api, holders[n % len(holders)])
                    for n in range(start, min(count, start + 500))
                ),
                return_exceptions=True,
            )
            for result in batch:
                if isinstance(result, BaseException):
                    failures += 1
                else:
                    opened.append(result)
        return opened, failures

    async def close_all(sockets: list[ClientConnection]) -> None:
        for start in range(0, len(sockets), 500):
            await asyncio.gather(*(ws.close() for ws in sockets[start : start + 500]))

    await asyncio.sleep(1)
    before = rss_bytes(pids)
    sockets, failures = await open_many(idle)
    await asyncio.sleep(2)
    during = rss_bytes(pids)
    delivery = await _probe(
        api, server, members[0], chat_id, await _ws_listeners(api, members[1:], 100), 100
    )
    await close_all(sockets)
    for _ in range(3):
        again, more_failures = await open_many(idle)
        failures += more_failures
        await close_all(again)
    await asyncio.sleep(2)
    after = rss_bytes(pids)

    async def handshake(n: int) -> bool:
        try:
            ws = await open_socket(api, holders[n % len(holders)])
        except Exception:  # counted: a failed handshake is the measurement
            return False
        await ws.close()
        return True

    burst = await asyncio.gather(*(handshake(n) for n in range(1000)))
    return {
        "sockets": len(sockets),
        "KiB per socket": (during - before) / max(1, len(sockets)) / 1024,
        "RSS before MiB": before / 2**20,
        "RSS open MiB": during / 2**20,
        "RSS after 3 reopen/close MiB": after / 2**20,
        "delivery p50": delivery["p50"],
        "delivery p99": delivery["p99"],
        "open failures": failures,
        "burst failures": 1000 - sum(burst),
    }


REACTIONS = ("👍", "❤️", "😂", "🎉", "🙏")


async def scenario_reactions(api: Api, server: Server, run: str) -> Row:
    people = await api.users(f"r{run}_", 20)
    chat_id = await api.chat(people[0], people[1:])
    message = await api.call(
        "POST",
        f"/v1/chats/{chat_id}/messages",
        201,
        json={"body": "vote"},
        headers=people[0].headers,
    )
    index = message["index"]

    async def react(person: User) -> list[float]:
        latencies = []
        for emoji in REACTIONS:
            started = time.perf_counter()
            await api.call(
                "PUT",
                f"/v1/chats/{chat_id}/messages/{index}/reactions/{emoji}",
                200,
                headers=person.headers,
            )
            latencies.append(time.perf_counter() - started)
        return latencies

    with Meter(server.pids) as meter:
        results = await asyncio.gather(*(react(person) for person in people))
    latencies = [latency for result in results for latency in result]
    page = await api.call(
        "GET",
        f"/v1/chats/{chat_id}/events",
        200,
        params={"after": index - 1, "limit": 500},
        headers=people[1].headers,
    )
    indexes = [event["index"] for event in page["events"]]
    counts = {r["emoji"]: r["count"] for r in page["events"][0]["reactions"]}
    if indexes != list(range(index, index + 1 + len(latencies))) or counts != dict.fromkeys(
        REACTIONS, len(people)
    ):
        raise SystemExit(f"reactions: indexes or counts wrong: {indexes[:5]}..., {counts}")
    return {
        "reactions/s": len(latencies) / meter.elapsed,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "server cores": meter.server_cores,
        "client cores": meter.client_cores,
    }


async def scenario_burst(api: Api, server: Server, run: str) -> Row:
    """500 authenticated requests at once, each on a connection of its own."""
    users = await api.users(f"b{run}_", 20)
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=0)

    async def one(client: httpx.AsyncClient, user: User) -> float | None:
        started = time.perf_counter()
        try:
            response = await client.get(f"{server.url}/v1/chats", headers=user.headers)
        except httpx.HTTPError:  # counted: a failed request is the measurement
            return None
        return time.perf_counter() - started if response.status_code == 200 else None

    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        with Meter(server.pids) as meter:
            results = await asyncio.gather(*(one(client, users[n % 20]) for n in range(500)))
    latencies = [latency for latency in results if latency is not None]
    return {
        "requests": len(results),
        "failures": len(results) - len(latencies),
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "seconds": meter.elapsed,
        "server cores": meter.server_cores,
    }


# --- reporting --------------------------------------------------------------------------------


def medians(rows: Sequence[Row]) -> Row:
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def table(title: str, row: Row) -> str:
    def shown(key: str, value: float) -> str:
        if key.startswith(("p50", "p99", "delivery")):
            return f"{ms(value)} ms"
        if "cores" in key or key == "ratio" or key.endswith("post ms"):
            return f"{value:.2f}"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"

    head = "| " + " | ".join(row) + " |"
    rule = "|" + "---|" * len(row)
    body = "| " + " | ".join(shown(key, value) for key, value in row.items()) + " |"
    return f"\n{title}\n\n{head}\n{rule}\n{body}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--scenarios",
        default="post-keyed,post,single-keyed,single,history,fanout,idle,burst,reactions",
    )
    parser.add_argument(
        "--checkout",
        type=Path,
        help="run this checkout's server (its .venv/bin/bca) instead of this one's",
    )
    parser.add_argument("--idle", type=int, default=10_000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "BCA_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
        help="admin URL: a database is created (and dropped) next to it",
    )
    parser.add_argument(
        "--redis", default=os.environ.get("BCA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    scenarios = args.scenarios.split(",")

    bca = args.checkout.resolve() / ".venv" / "bin" / "bca" if args.checkout else BCA
    workdir = Path(tempfile.mkdtemp(prefix="bca-"))
    server = Server(args.postgres, args.redis, args.workers, workdir, bca)
    await server.start()
    results: dict[str, list[Any]] = {name: [] for name in scenarios}
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    try:
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            api = Api(client, server.url)
            for run in range(args.runs):
                tag = f"{run}{uuid.uuid4().hex[:4]}"
                for name in scenarios:
                    if name == "idle":
                        results[name].append(await scenario_idle(api, server, tag, args.idle))
                    else:
                        scenario = globals()[f"scenario_{name.replace('-', '_')}"]
                        results[name].append(await scenario(api, server, tag))
                    print(f"run {run + 1}, {name}: {results[name][-1]}", file=sys.stderr)
    finally:
        await server.stop()

    print(
        f"\n`{bca} serve --workers {args.workers}`, PostgreSQL + Redis, medians of {args.runs} runs"
    )
    titles = {
        "post": "20 senders x 50 messages into one 20-member chat, 20 concurrent",
        "post-keyed": "20 senders x 50 messages, 20 concurrent, an Idempotency-Key each",
        "single": "one sender, 200 posts one after another",
        "single-keyed": "one sender, 200 posts one after another, an Idempotency-Key each",
        "history": "one sender, 200 posts, after 100 vs 10,000 earlier messages",
        "idle": f"{args.idle:,} idle WebSockets on the server",
        "burst": "500 concurrent authenticated requests (GET /v1/chats), a connection each",
        "reactions": "20 people react at once on one message, 5 emoji each (100 reactions)",
    }
    for name in scenarios:
        if name == "fanout":
            for kind in ("WebSocket", "long-poll"):
                rows = [result[kind] for result in results[name]]
                print(
                    table(f"1 sender -> 10 receivers ({kind}), 200 messages, 20/s", medians(rows))
                )
        else:
            print(table(titles[name], medians(results[name])))


if __name__ == "__main__":
    asyncio.run(main())
