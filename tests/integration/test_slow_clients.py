"""Slow and oversized request heads on a real ``bca serve`` (issue 22, item 9).

A connection that sends nothing, or its headers a byte at a time, is answered 408 and closed
once ``BCA_HTTP_HEAD_TIMEOUT_SECONDS`` pass; an idle keep-alive connection is closed after
``BCA_HTTP_KEEP_ALIVE_SECONDS``; a head over the limits (a WebSocket upgrade's 16 KiB request
line included) is 431 at once. A request or WebSocket that is under way is never cut by the
head's deadline. Every wait here is bounded.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
from websockets.sync.client import connect

from bca.protocol import MAX_HEAD_BYTES
from tests.fixtures.servers import Server, start_server

HEAD_TIMEOUT = 1.0
KEEP_ALIVE = 1


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    started = start_server(
        {
            "BCA_RATE_LIMIT_ENABLED": "false",
            "BCA_REQUIRE_EMAIL_VERIFICATION": "false",
            "BCA_MAIL_BACKEND": "off",
            "BCA_HTTP_HEAD_TIMEOUT_SECONDS": str(HEAD_TIMEOUT),
            "BCA_HTTP_KEEP_ALIVE_SECONDS": str(KEEP_ALIVE),
        },
        cwd=tmp_path_factory.mktemp("slow-clients"),
        timeout=120,
    )
    yield started
    started.stop()


def open_socket(server: Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took (at most limit)."""
    started = time.monotonic()
    sock.settimeout(limit)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        raise AssertionError(f"still open after {limit} s; received {received[:200]!r}") from None
    except ConnectionResetError:
        pass
    return received, time.monotonic() - started


def test_a_connection_that_sends_nothing_is_cut(server: Server) -> None:
    with open_socket(server) as sock:
        received, waited = read_until_closed(sock, limit=HEAD_TIMEOUT + 5)
    assert received.startswith(b"HTTP/1.1 408 "), received
    assert waited < HEAD_TIMEOUT + 4


def test_headers_sent_a_byte_at_a_time_are_cut(server: Server) -> None:
    with open_socket(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        closed = False
        # A byte every 0.1 s: the connection is never idle, the head never ends.
        while time.monotonic() - started < HEAD_TIMEOUT + 5:
            try:
                sock.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            sock.settimeout(0.1)
            try:
                if sock.recv(65536) is not None:
                    closed = True
                    break
            except TimeoutError:
                continue
        assert closed, "a slow head held the connection"
        assert time.monotonic() - started < HEAD_TIMEOUT + 4


def test_an_idle_keep_alive_connection_is_closed(server: Server) -> None:
    with open_socket(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        received, waited = read_until_closed(sock, limit=KEEP_ALIVE + 5)
    assert received.startswith(b"HTTP/1.1 200 "), received
    assert waited < KEEP_ALIVE + 4


@pytest.mark.parametrize(
    "head",
    [
        # The case: a WebSocket upgrade whose request line is over 16 KiB.
        b"GET /v1/ws?x=" + b"a" * 16_500 + b" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Many: 1\r\n" * 150 + b"\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-%d: %s\r\n" % (i, b"c" * 4000) for i in range(MAX_HEAD_BYTES // 4000 + 2))
        + b"\r\n",
    ],
    ids=["websocket-line", "header-line", "header-count", "head-size"],
)
def test_oversized_heads_are_answered_431_at_once(server: Server, head: bytes) -> None:
    with open_socket(server) as sock:
        sock.sendall(head)
        received, waited = read_until_closed(sock, limit=5)
    assert received.startswith(b"HTTP/1.1 431 "), received[:200]
    assert waited < HEAD_TIMEOUT


def test_what_is_under_way_outlives_the_head_deadline(server: Server) -> None:
    import httpx

    with httpx.Client(base_url=server.url, timeout=30) as http:
        http.post(
            "/v1/auth/signup",
            json={"email": "slow@example.com", "username": "slow", "password": "abcdefgh1"},
        )
        token = http.post(
            "/v1/auth/signin", json={"login": "slow", "password": "abcdefgh1"}
        ).json()["access_token"]
    ws_url = server.url.replace("http://", "ws://") + "/v1/ws?access_token=" + token
    with connect(ws_url, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        time.sleep(HEAD_TIMEOUT * 2.5)
        ws.ping().wait(timeout=5)  # still open, still answering
    # Requests on one keep-alive connection, each well within the deadline, all answered.
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for _ in range(3):
            assert http.get("/healthz").status_code == 200
            time.sleep(KEEP_ALIVE / 2)
