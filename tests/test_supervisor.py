"""``bca serve --workers 2``: new connections are spread over the workers, and a worker that
dies leaves no socket behind that would take connections nobody accepts."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bca.settings import Settings
from tests.fixtures.servers import Server, shared_stack_environment

ESTABLISHED, LISTENING = "01", "0A"


@pytest.fixture
def stack() -> str:
    return "postgres"


@pytest.fixture
def server(bca_server: Callable[..., Server], settings: Settings, tmp_path: Path) -> Server:
    environment = shared_stack_environment(settings, tmp_path / "var")
    return bca_server(environment, options=["--workers", "2"], timeout=120)


def _workers(supervisor: int) -> list[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def _sockets(pid: int, port: int, state: str) -> int:
    """How many of the process's TCP sockets on ``port`` are in ``state`` (/proc/net/tcp)."""
    inodes = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except FileNotFoundError:
            continue  # closed since the listing (a database or Redis connection, say)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = 0
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == state and fields[9] in inodes:
            found += 1
    return found


def _port(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _listening_workers(server: Server) -> list[int]:
    """The two workers, once each listens on a socket of its own."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            workers = _workers(server.process.pid)
            if len(workers) == 2 and all(
                _sockets(pid, _port(server), LISTENING) == 1 for pid in workers
            ):
                return workers
        except FileNotFoundError:
            pass  # a worker went away while it was read: they are (re)starting
        time.sleep(0.2)
    raise AssertionError(f"the workers did not start listening:\n{server.log()}")


def _wait_until_dead(pid: int) -> None:
    """Until the process has exited (a zombie, or reaped): its descriptors are closed."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return
        if state == "Z":
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} did not exit")


async def test_connections_opened_at_once_are_spread_over_the_workers(server: Server) -> None:
    port = _port(server)
    workers = _listening_workers(server)
    # The supervisor keeps no listening socket of its own.
    assert _sockets(server.process.pid, port, LISTENING) == 0

    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as client:
        responses = await asyncio.gather(*(client.get("/healthz") for _ in range(20)))
        assert [response.status_code for response in responses] == [200] * 20
        held = [_sockets(pid, port, ESTABLISHED) for pid in workers]
    # With one shared socket, the first worker to wake took all 20; here the kernel hashes
    # them (at most one worker holding fewer than 3 of 20 is a 1-in-5,000 chance).
    assert sum(held) == 20, held
    assert min(held) >= 3, held


async def test_a_worker_that_dies_takes_its_socket_with_it(server: Server) -> None:
    port = _port(server)
    doomed, survivor = _listening_workers(server)
    os.kill(doomed, signal.SIGKILL)
    _wait_until_dead(doomed)
    # Until uvicorn replaces it (and after): every new connection is accepted by a worker.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=10) as client:
        for _ in range(40):
            assert (await client.get("/healthz")).status_code == 200
    replacement = [pid for pid in _listening_workers(server) if pid != survivor]
    assert replacement
    assert doomed not in replacement
    assert _sockets(server.process.pid, port, LISTENING) == 0
