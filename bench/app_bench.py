"""The web app's benchmarks: what the first screen ships, a wallet of 500 cards on a slow phone,
and scrolling back through a chat of 10,000 messages.

Starts ``bca serve`` on the embedded default in a scratch folder (rate limits and mail off, no
email verification), builds the data through the API, and drives the built app (``web/dist``;
``make web`` builds it) in Debian's Chromium with a Pixel 7 profile, signed in by placing a
fresh refresh token where the app keeps it.

Scenarios (``--scenarios``, comma-separated; all by default):
- ``bundle``: the JavaScript and CSS the first screen loads (the welcome screen for a new
  visitor, the wallet for a signed-in person), as shipped and gzipped (level 6).
- ``wallet``: a signed-in person with 500 cards in the wallet opens the app under Chromium's
  slow-4G network (562.5 ms latency, 1.47 Mbit/s down: Lighthouse's mobile throttling) and 4x CPU
  throttling, from an empty cache: time until the newest card's row is on screen, and until a
  tap on it has opened the card.
- ``offline`` (issue 23): with the network off, a new tab of the installed app (its service
  worker's cache, the local database on OPFS) until a 500-card wallet is on screen.
- ``sync`` (issue 23): the first sync of a 5,000-card wallet (snapshot built, downloaded and
  imported; the import timed in the page); 1,000 card edits made while the phone was offline,
  from the network's return until they are applied (the applying timed in the worker and as
  the page waited for it, page by page). Phone and server share this machine's cores here.
- ``apply`` (issue 23): the applying alone, on a quiet machine: the app's built worker, in a
  page of the served app, imports a 5,000-card snapshot of the server's schema and applies two
  pages of 500 card edits, ``--runs`` times; timed in the worker.
- ``chat``: a chat of 10,000 messages opens at its newest page; the page is scrolled back with
  wheel steps until 1,000 messages have passed; frames are counted with requestAnimationFrame
  (a frame is dropped for every 16.7 ms beyond the first in a gap between two frames).

    .venv/bin/python bench/app_bench.py
    .venv/bin/python bench/app_bench.py --scenarios wallet --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

REPO = Path(__file__).resolve().parents[1]
BCA = str(Path(sys.executable).with_name("bca"))
PASSWORD = "bench-password-123"  # noqa: S105  # throwaway accounts of a throwaway server
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SLOW_4G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1474.56 * 1024 / 8,
    "uploadThroughput": 675 * 1024 / 8,
}
FRAME_MS = 1000 / 60
CARDS_PER_PROFILE = 100
T = TypeVar("T")


@dataclass
class User:
    username: str
    token: str = ""
    refresh_token: str = ""
    user_id: str = ""
    profile_id: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def embedded_server(workdir: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("BCA_")} | {
        "BCA_DATA_DIR": str(workdir / "var"),
        "BCA_PUBLIC_URL": url,
        "BCA_REQUIRE_EMAIL_VERIFICATION": "false",
        "BCA_RATE_LIMIT_ENABLED": "false",
        "BCA_MAIL_BACKEND": "off",
        "BCA_LOG_JSON": "false",
    }
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(  # our own entry point
        [BCA, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        for _ in range(1800):  # a loaded 2-core machine takes 40 s and more to start one
            if process.poll() is not None:
                raise SystemExit(f"bca serve exited; see {workdir / 'server.log'}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit(f"bca serve did not start; see {workdir / 'server.log'}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def call(self, method: str, path: str, *statuses: int, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, **kwargs)
        if response.status_code not in (statuses or (200, 201, 204)):
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    async def user(self, prefix: str) -> User:
        user = User(f"{prefix}_{uuid.uuid4().hex[:8]}")
        await self.call(
            "POST",
            "/v1/auth/signup",
            json={
                "email": f"{user.username}@example.com",
                "username": user.username,
                "password": PASSWORD,
                "nickname": prefix.title(),
            },
        )
        await self.sign_in(user)
        profiles = await self.call("GET", "/v1/profiles", headers=user.headers)
        user.profile_id = profiles["items"][0]["id"]
        return user

    async def sign_in(self, user: User) -> None:
        signed = await self.call(
            "POST", "/v1/auth/signin", json={"login": user.username, "password": PASSWORD}
        )
        user.token, user.refresh_token = signed["access_token"], signed["refresh_token"]
        user.user_id = signed["user"]["id"]


def blocking(work: Coroutine[Any, Any, T]) -> T:
    """Runs ``work`` to its end on a loop of its own (Playwright's sync API holds this thread's)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


async def gather_limited(jobs: Sequence[Any], limit: int = 16) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(job) for job in jobs))


@dataclass
class Wallet:
    holder: User
    card_owners: dict[str, User]
    """Each card's id, and who made it (the one who may edit it)."""
    newest: str


PROFILES_PER_USER = 20


async def seed_wallet(url: str, cards: int) -> Wallet:
    """A holder whose wallet holds ``cards`` cards of other people's profiles (a profile holds
    at most 100 cards, a user 20 profiles), the first renamed "Newest Card"."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        api = Api(client)
        holder = await api.user("holder")
        profiles: list[tuple[User, str]] = []
        while len(profiles) * CARDS_PER_PROFILE < cards:
            owner = await api.user("owner")
            profiles.append((owner, owner.profile_id))
            for number in range(1, PROFILES_PER_USER):
                if len(profiles) * CARDS_PER_PROFILE >= cards:
                    break
                profile = await api.call(
                    "POST", "/v1/profiles", headers=owner.headers, json={"name": f"Owner {number}"}
                )
                profiles.append((owner, profile["id"]))
        card_owners: dict[str, User] = {}

        async def make(number: int) -> None:
            owner, profile_id = profiles[number // CARDS_PER_PROFILE]
            card = await api.call(
                "POST",
                f"/v1/profiles/{profile_id}/cards",
                headers=owner.headers,
                json={
                    "name": f"Card {number:04d}",
                    "data": {"title": "Sales", "company": f"Company {number}"},
                },
            )
            card_owners[card["id"]] = owner

        await gather_limited([make(number) for number in range(cards)])
        await gather_limited(
            [
                api.call(
                    "PUT",
                    f"/v1/profiles/{holder.profile_id}/subscriptions/{card_id}",
                    headers=holder.headers,
                )
                for card_id in card_owners
            ]
        )
        first, owner = next(iter(card_owners.items()))
        newest = await api.call(
            "PATCH", f"/v1/cards/{first}", headers=owner.headers, json={"name": "Newest Card"}
        )
        await api.sign_in(holder)
        return Wallet(holder, card_owners, newest["name"])


async def seed_chat(url: str, messages: int) -> tuple[User, str]:
    """A direct chat of two people with ``messages`` messages, posted with Idempotency-Keys."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        api = Api(client)
        reader, writer = await api.user("reader"), await api.user("writer")
        await api.call(
            "PUT",
            f"/v1/profiles/{reader.profile_id}/relations/{writer.profile_id}",
            headers=reader.headers,
            json={"status": "follow"},
        )
        chat = await api.call(
            "POST",
            "/v1/chats",
            200,
            201,
            headers=reader.headers,
            json={
                "profile_id": reader.profile_id,
                "participant_ids": [writer.profile_id],
                "direct": True,
            },
        )
        await gather_limited(
            [
                api.call(
                    "POST",
                    f"/v1/chats/{chat['id']}/messages",
                    201,
                    headers=(reader if number % 2 else writer).headers
                    | {"Idempotency-Key": str(uuid.uuid4())},
                    json={"body": f"Message {number}: " + "lorem ipsum " * (1 + number % 7)},
                )
                for number in range(messages)
            ]
        )
        await api.sign_in(reader)
        return reader, chat["id"]


def phone(
    playwright: Playwright, user: User | None, url: str, *, service_worker: bool = False
) -> BrowserContext:
    device = {k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"}
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    context = browser.new_context(**device, service_workers="allow" if service_worker else "block")
    if user is not None:
        values = {"bca.refresh": user.refresh_token, "bca.locale": "en"}
        context.add_init_script(
            "for (const [k, v] of Object.entries(" + json.dumps(values) + "))"
            " if (localStorage.getItem(k) === null) localStorage.setItem(k, v);"
        )
    return context


def shipped(page: Page, url: str, wait_for: str) -> tuple[int, int, int]:
    """Files, bytes and gzipped bytes of the JavaScript and CSS a page loads until ``wait_for``."""
    bodies: dict[str, bytes] = {}

    def keep(response: Any) -> None:
        if response.request.resource_type in ("script", "stylesheet") and response.ok:
            bodies[response.url] = response.body()

    page.on("response", keep)
    page.goto(url)
    page.get_by_text(wait_for).first.wait_for(timeout=60_000)
    page.wait_for_load_state("networkidle")
    for address, body in sorted(bodies.items()):
        print(
            f"  {address.rsplit('/', 1)[-1]}: {len(body) / 1024:.1f} KB, "
            f"{len(gzip.compress(body, 6)) / 1024:.1f} KB gzipped",
            file=sys.stderr,
        )
    raw = sum(len(body) for body in bodies.values())
    packed = sum(len(gzip.compress(body, 6)) for body in bodies.values())
    return len(bodies), raw, packed


def scenario_bundle(playwright: Playwright, url: str) -> list[str]:
    wallet = blocking(seed_wallet(url, 5))
    rows = []
    for label, user, target, text in (
        ("welcome (signed out)", None, "/app/", "B.Ca"),
        ("wallet (signed in)", wallet.holder, "/app/wallet", wallet.newest),
    ):
        context = phone(playwright, user, url)
        files, raw, packed = shipped(context.new_page(), url + target, text)
        if context.browser:
            context.browser.close()
        rows.append(f"| {label} | {files} | {raw / 1024:.1f} KB | **{packed / 1024:.1f} KB** |")
    return ["| first screen | files | JS + CSS | gzipped |", "|---|---|---|---|", *rows]


def wallet_once(playwright: Playwright, url: str, holder: User, newest: str) -> tuple[float, float]:
    context = phone(playwright, holder, url)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    started = time.perf_counter()
    page.goto(url + "/app/wallet", wait_until="commit")
    row = page.get_by_text(newest).first
    row.wait_for(timeout=120_000)
    visible = time.perf_counter() - started
    row.click()
    page.get_by_role("heading", name=newest).first.wait_for(timeout=60_000)
    opened = time.perf_counter() - started
    if context.browser:
        context.browser.close()
    return visible, opened


def scenario_wallet(playwright: Playwright, url: str, runs: int) -> list[str]:
    wallet = blocking(seed_wallet(url, 500))
    samples = []
    for _ in range(runs):
        blocking(refresh_sign_in(url, wallet.holder))
        samples.append(wallet_once(playwright, url, wallet.holder, wallet.newest))
    visible = statistics.median(sample[0] for sample in samples)
    opened = statistics.median(sample[1] for sample in samples)
    runs_text = ", ".join(f"{v:.2f}/{o:.2f}" for v, o in samples)
    return [
        "| 500 cards, slow 4G, 4x CPU, empty cache | newest card on screen | tap opens it | runs |",
        "|---|---|---|---|",
        f"| median of {runs} | **{visible:.2f} s** | {opened:.2f} s | {runs_text} |",
    ]


def poll(page: Page, script: str, arg: object = None, timeout: float = 300) -> None:
    """Waits until ``script`` (a function) is true (the app's CSP refuses wait_for_function)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        if time.monotonic() > deadline:
            raise TimeoutError(script)
        page.wait_for_timeout(50)


SYNCED = "id => localStorage.getItem('bca.synced.' + id)"
MEASURES = "name => performance.getEntriesByName(name).map(e => [e.duration, e.detail])"


def synced_once(page: Page, user: User, before: str | None) -> None:
    poll(page, f"([id, before]) => ({SYNCED})(id) !== before", [user.user_id, before])


def scenario_offline(playwright: Playwright, url: str, runs: int) -> list[str]:
    """Cold offline starts of a 500-card wallet."""
    wallet = blocking(seed_wallet(url, 500))
    blocking(refresh_sign_in(url, wallet.holder))
    context = phone(playwright, wallet.holder, url, service_worker=True)
    page = context.new_page()
    page.goto(url + "/app/wallet")
    page.get_by_text(wallet.newest).first.wait_for(timeout=120_000)
    poll(page, f"id => ({SYNCED})(id) !== null", wallet.holder.user_id)
    poll(page, "() => navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    starts = []
    for _ in range(runs):
        page.close()
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url + "/app/wallet", wait_until="commit")
        page.get_by_text(wallet.newest).first.wait_for(timeout=60_000)
        starts.append(time.perf_counter() - started)
    if context.browser:
        context.browser.close()
    return [
        "| offline | measured | runs |",
        "|---|---|---|",
        f"| cold offline start, 500-card wallet on screen | **{statistics.median(starts):.2f} s**"
        f" median | {', '.join(f'{value:.2f}' for value in starts)} |",
    ]


def scenario_sync(playwright: Playwright, url: str) -> list[str]:
    """The first sync of a 5,000-card wallet (snapshot built, downloaded, imported); 1,000
    changes made while away, fetched and applied."""
    big = blocking(seed_wallet(url, 5_000))
    blocking(refresh_sign_in(url, big.holder))
    context = phone(playwright, big.holder, url, service_worker=True)
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url + "/app/wallet", wait_until="commit")
    synced_once(page, big.holder, None)
    first_sync = time.perf_counter() - started
    imported = page.evaluate(MEASURES, "bca:sync-import")
    page.get_by_text(big.newest).first.wait_for(timeout=120_000)

    # Away: the owner edits 1,000 of the cards; back online, the app fetches and applies them.
    context.set_offline(True)
    before = page.evaluate(SYNCED, big.holder.user_id)
    blocking(edit_cards(url, list(big.card_owners.items())[1:1001]))
    # The phone and the server share this machine: let the server's own work after the edits
    # (the holder's snapshot brought forward) end first, as it would on a server elsewhere.
    blocking(snapshot_settled(url, big.holder))
    page.evaluate("() => performance.clearMeasures('bca:sync-apply')")
    started = time.perf_counter()
    context.set_offline(False)
    synced_once(page, big.holder, before)
    caught_up = time.perf_counter() - started
    applied: list[tuple[float, dict[str, int]]] = page.evaluate(MEASURES, "bca:sync-apply")
    if context.browser:
        context.browser.close()

    changes = sum(detail["changes"] for _, detail in applied)
    apply_ms = sum(duration for duration, _ in applied)
    in_worker_ms = sum(detail["inWorker"] for _, detail in applied)
    import_ms, import_detail = imported[-1]
    return [
        "| sync | measured |",
        "|---|---|",
        f"| first sync of a 5,000-card wallet (snapshot built, downloaded, imported) | "
        f"**{first_sync:.2f} s**; import {import_ms:.0f} ms of "
        f"{import_detail['bytes'] / 1024 / 1024:.1f} MB |",
        f"| {changes:,} changes made while away: back online until applied | {caught_up:.2f} s |",
        f"| applying them ({len(applied)} pages): in the worker / as the page waits | "
        f"**{in_worker_ms:.0f} ms** / {apply_ms:.0f} ms |",
    ]


APPLY_IN_WORKER = """async ([worker, snapshot, changes, rounds]) => {
  const local = new Worker('/app/assets/' + worker, { type: 'module' });
  let last = 0;
  const waiting = new Map();
  local.onmessage = (event) => {
    const { id, result, error } = event.data;
    const answer = waiting.get(id);
    waiting.delete(id);
    if (error) answer.reject(new Error(error)); else answer.resolve(result);
  };
  const call = (request, transfer = []) => new Promise((resolve, reject) => {
    waiting.set(++last, { resolve, reject });
    local.postMessage({ id: last, request }, transfer);
  });
  await call({ op: 'open', user: 'bench' });
  const bytes = Uint8Array.from(atob(snapshot), (ch) => ch.charCodeAt(0));
  await call({ op: 'import', user: 'bench', bytes }, [bytes.buffer]);
  const took = [];
  for (let round = 0; round < rounds; round++) {
    let sum = 0;
    for (let page = 0; page * 500 < changes.length; page++) {
      const slice = changes.slice(page * 500, page * 500 + 500).map((change) =>
        ({ ...change, data: { ...change.data, name: change.data.name + ' ' + round } }));
      const cursor = String(10 + round * 10 + page);
      const answer = await call({ op: 'apply', page: { changes: slice, cursor, has_more: true } });
      sum += answer.took;
    }
    took.push(sum);
  }
  await call({ op: 'drop', user: 'bench' });
  return took;
}"""


def card_snapshot(cards: int) -> bytes:
    """A snapshot file of the server's schema holding ``cards`` cards (what a wallet syncs)."""
    from bca.domains import DOMAINS, assemble
    from bca.sync.snapshots import SCHEMA_VERSION, schema

    assemble(DOMAINS)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "snapshot.sqlite3"
        db = sqlite3.connect(path)
        db.executescript(schema())
        db.execute(
            "INSERT INTO meta VALUES (?, ?, ?, ?)", ("bench", 1, SCHEMA_VERSION, "2026-12-07")
        )
        db.executemany(
            "INSERT INTO cards (id, profile_id, name, data, private, version, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, 0, 1, '2026-12-07', '2026-12-07')",
            [
                (card_id(number), f"profile-{number // 100}", f"Card {number}", CARD_DATA)
                for number in range(cards)
            ],
        )
        db.commit()
        db.close()
        return path.read_bytes()


CARD_DATA = json.dumps({"company": "Company", "title": "Sales"}, separators=(",", ":"))


def card_id(number: int) -> str:
    return f"00000000-0000-0000-0000-{number:012d}"


def scenario_apply(playwright: Playwright, url: str, runs: int) -> list[str]:
    """1,000 card edits applied to a 5,000-card local database by the app's own worker, on a
    quiet machine (no server work beside it): the applying alone, timed in the worker."""
    changes = [
        {
            "entity": "card",
            "op": "upsert",
            "id": card_id(number),
            "data": {
                "profile_id": f"profile-{number // 100}",
                "name": f"Edited {number}",
                "data": {"company": "Company", "title": "Sales"},
                "private": False,
                "version": 2,
                "created_at": "2026-12-07",
                "updated_at": "2026-12-08",
            },
        }
        for number in range(1_000)
    ]
    snapshot = base64.b64encode(card_snapshot(5_000)).decode()
    worker = next((REPO / "web" / "dist" / "assets").glob("worker-*.js")).name
    context = phone(playwright, None, url)
    page = context.new_page()
    page.goto(url + "/app/welcome")
    took: list[float] = page.evaluate(APPLY_IN_WORKER, [worker, snapshot, changes, runs])
    if context.browser:
        context.browser.close()
    return [
        "| 1,000 card edits applied to a 5,000-card local database (2 pages) | median | runs |",
        "|---|---|---|",
        f"| in the app's worker | **{statistics.median(took):.0f} ms** | "
        f"{', '.join(f'{value:.0f}' for value in took)} |",
    ]


async def snapshot_settled(url: str, user: User) -> None:
    """Waits until the user's snapshot has caught up with their change log."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        since, more = "0", True
        while more:
            page = await client.get(
                "/v1/sync/changes", params={"since": since, "limit": 1000}, headers=user.headers
            )
            since, more = page.json()["cursor"], page.json()["has_more"]
        newest = int(since)
        while True:
            head = await client.head("/v1/sync/snapshot", headers=user.headers)
            if int(head.headers.get("BCA-Sync-Cursor", 0)) >= newest:
                return
            await asyncio.sleep(0.5)


async def edit_cards(url: str, cards: Sequence[tuple[str, User]]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        api = Api(client)
        await gather_limited(
            [
                api.call(
                    "PATCH",
                    f"/v1/cards/{card_id}",
                    headers=owner.headers,
                    json={"name": f"Edited {number:04d}"},
                )
                for number, (card_id, owner) in enumerate(cards)
            ]
        )


async def refresh_sign_in(url: str, user: User) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await Api(client).sign_in(user)


FRAME_COUNTER = """() => {
  window.__frames = []; let last = performance.now();
  const tick = (now) => { window.__frames.push(now - last); last = now;
    if (window.__counting) requestAnimationFrame(tick); };
  window.__counting = true; requestAnimationFrame(tick);
}"""


def scenario_chat(playwright: Playwright, url: str, runs: int) -> list[str]:
    reader, chat_id = blocking(seed_chat(url, 10_000))
    rows = []
    for run in range(runs):
        blocking(refresh_sign_in(url, reader))
        context = phone(playwright, reader, url)
        page = context.new_page()
        started = time.perf_counter()
        page.goto(f"{url}/app/chats/{chat_id}")
        page.get_by_text("Message 9999:").first.wait_for(timeout=60_000)
        opened = time.perf_counter() - started
        page.evaluate(FRAME_COUNTER)
        scroll_started = time.perf_counter()
        oldest = 9999
        box = page.viewport_size or {"width": 412, "height": 915}
        page.mouse.move(box["width"] / 2, box["height"] / 2)
        while oldest > 9000 and time.perf_counter() - scroll_started < 300:
            page.mouse.wheel(0, -600)
            page.wait_for_timeout(50)
            oldest = page.evaluate(
                "() => Math.min(...[...document.querySelectorAll('[data-index]')]"
                ".filter(e => e.getBoundingClientRect().bottom > 0)"
                ".map(e => Number(e.dataset.index)))"
            )
        seconds = time.perf_counter() - scroll_started
        gaps: list[float] = page.evaluate(
            "() => { window.__counting = false; return window.__frames; }"
        )
        dropped = sum(max(0, round(gap / FRAME_MS) - 1) for gap in gaps[1:])
        frames = len(gaps)
        rows.append((opened, seconds, frames, dropped))
        if context.browser:
            context.browser.close()
        print(
            f"chat run {run + 1}: opened {opened:.2f} s, scrolled {seconds:.1f} s, "
            f"{frames} frames, {dropped} dropped",
            file=sys.stderr,
        )
    lines = [
        "| run | newest page on screen | 1,000 messages scrolled in | frames | dropped |",
        "|---|---|---|---|---|",
    ]
    for number, (opened, seconds, frames, dropped) in enumerate(rows, 1):
        share = dropped / max(1, frames + dropped)
        lines.append(
            f"| {number} | {opened:.2f} s | {seconds:.1f} s | {frames} | "
            f"**{dropped}** ({share:.1%}) |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scenarios", default="bundle,wallet,chat,offline,sync,apply")
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    if not (REPO / "web" / "dist" / "index.html").exists():
        raise SystemExit("web/dist is missing: run `make web` first")
    scenarios = arguments.scenarios.split(",")
    with (
        tempfile.TemporaryDirectory(prefix="bca-app-bench-") as folder,
        embedded_server(Path(folder)) as url,
        sync_playwright() as playwright,
    ):
        for name in scenarios:
            print(f"\n### {name}\n")
            if name == "bundle":
                lines = scenario_bundle(playwright, url)
            elif name == "wallet":
                lines = scenario_wallet(playwright, url, arguments.runs)
            elif name == "chat":
                lines = scenario_chat(playwright, url, arguments.runs)
            elif name == "offline":
                lines = scenario_offline(playwright, url, arguments.runs)
            elif name == "sync":
                lines = scenario_sync(playwright, url)
            elif name == "apply":
                lines = scenario_apply(playwright, url, arguments.runs)
            else:
                raise SystemExit(f"unknown scenario {name!r}")
            print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
