"""A local push service (RFC 8030) for tests and the benchmark: an HTTP server on 127.0.0.1
that records each push, checks its VAPID JWT (RFC 8292) and decrypts its body (RFC 8291) with
the keys of the browser it was meant for.

- ``browser = service.browser(name)``: a subscription's keys, made here as a browser makes
  them; ``browser.subscription()`` is the body of ``POST /v1/push/web/subscriptions``, its
  endpoint ``<service.url>/push/<name>``.
- ``service.script(name, 429, 503)``: the next answers to that browser's pushes, one per push;
  afterwards 201.
- ``service.pushes``: every push received (:class:`Push`), in arrival order; ``delivered()``
  those answered 201, decrypted.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece  # type: ignore[import-untyped]
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02  # type: ignore[import-untyped]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    name: str
    endpoint: str
    key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> str:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    def subscription(self, *, previews: bool = False) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
            "previews": previews,
        }


@dataclass
class Push:
    browser: str
    headers: dict[str, str]
    body: bytes
    status: int
    claims: dict[str, Any] | None = None
    vapid_key: str | None = None
    error: str | None = None
    payload: dict[str, Any] | None = None


@dataclass
class PushService:
    host: str = "127.0.0.1"
    port: int = 0
    browsers: dict[str, Browser] = field(default_factory=dict)
    pushes: list[Push] = field(default_factory=list)
    scripts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def browser(self, name: str) -> Browser:
        made = Browser(
            name=name,
            endpoint=f"{self.url}/push/{name}",
            key=ec.generate_private_key(ec.SECP256R1()),
            auth=os.urandom(16),
        )
        self.browsers[name] = made
        return made

    def script(self, name: str, *statuses: int) -> None:
        with self.lock:
            self.scripts[name].extend(statuses)

    def delivered(self) -> list[Push]:
        with self.lock:
            return [push for push in self.pushes if push.status == 201]

    def delivered_to(self) -> list[str]:
        return sorted(push.browser for push in self.delivered())

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Push]:
        """Block until ``count`` pushes were delivered (201)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while sum(push.status == 201 for push in self.pushes) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{count} pushes expected in {timeout} s")
                self.arrived.wait(left)
            return [push for push in self.pushes if push.status == 201]

    def receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        name = path.removeprefix("/push/")
        push = Push(browser=name, headers=headers, body=body, status=201)
        known = name in self.browsers
        if known:
            self._check(push)
        with self.lock:
            script = self.scripts.get(name)
            if not known:
                push.status = 404
            elif push.error is not None:
                push.status = 400
            elif script:
                push.status = script.pop(0)
            self.pushes.append(push)
            self.arrived.notify_all()
        return push.status

    def _check(self, push: Push) -> None:
        """VAPID (signature and claims) and the payload, each recorded or its error."""
        authorization = push.headers.get("authorization", "")
        try:
            scheme, _, params = authorization.partition(" ")
            values = dict(part.split("=", 1) for part in params.split(","))
            assert scheme == "vapid", "not the vapid scheme"
            assert Vapid02.verify(authorization), "py_vapid refuses the signature"
            point = b64url_decode(values["k"])
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            push.claims = jwt.decode(values["t"], public, algorithms=["ES256"], audience=self.url)
            push.vapid_key = values["k"]
            browser = self.browsers[push.browser]
            assert push.headers.get("content-encoding") == "aes128gcm", "not aes128gcm"
            plain = http_ece.decrypt(
                push.body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm"
            )
            push.payload = json.loads(plain)
        except Exception as error:
            push.error = f"{type(error).__name__}: {error}"

    def start(self) -> ThreadingHTTPServer:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {key.lower(): value for key, value in self.headers.items()}
                status = service.receive(self.path, headers, body)
                self.send_response(status)
                if status in (301, 302, 307, 308):
                    self.send_header("Location", f"{service.url}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@contextmanager
def running_push_service() -> Iterator[PushService]:
    """A push service listening on a free port of 127.0.0.1 until the block ends."""
    service = PushService()
    server = service.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
