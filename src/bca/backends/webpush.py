"""Web Push (RFC 8030 delivery, RFC 8291 message encryption, RFC 8292 VAPID), beside FCM.

A subscription's endpoint is a URL the browser chose, which makes every push a request this
server sends to a place a user named: :func:`check_endpoint` refuses anything but ``https`` on
an allowed push-service host (``BCA_WEB_PUSH_HOSTS``) whose every address is public. It runs at
subscribe time and again before every send, and the send goes to the address just checked
(the name is kept for TLS and ``Host``), so a name re-pointed at a private address between the
check and the request is not followed. The address rules are ``safe_fetch``'s, shared with
link previews. Redirects are never followed: a push service answers,
it does not redirect.

``send`` never raises for delivery problems: it answers with a :class:`WebPushResult`; the
caller deletes ``gone`` subscriptions and lets the task layer retry ``retry`` (``429``,
``5xx``, network trouble) with its backoff.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

import http_ece  # type: ignore[import-untyped]
import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bca.backends import safe_fetch
from bca.settings import Mode, Settings

logger = logging.getLogger(__name__)

VAPID_TOKEN_SECONDS = 12 * 3600
"""A VAPID JWT's lifetime (RFC 8292 allows at most 24 hours); one is reused for an hour less."""
PUSH_TTL_SECONDS = 24 * 3600
"""How long a push service keeps a message for a device that is offline."""
MAX_PAYLOAD_BYTES = 3000
"""A push service takes at least 4096 bytes of encrypted body (RFC 8291 section 4)."""


class EndpointRefused(ValueError):
    """The endpoint is not a push service this server will send to."""


class WebPushResult(StrEnum):
    sent = "sent"
    gone = "gone"
    """404/410: the subscription has expired or was withdrawn; the caller deletes it."""
    retry = "retry"
    """429, 5xx or a network error: a later attempt may succeed."""
    failed = "failed"


@dataclass(frozen=True, slots=True)
class WebPushTarget:
    endpoint: str
    p256dh: str
    auth: str


def _host_allowed(host: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def _patterns(value: str) -> list[str]:
    return [part.strip().lower().rstrip(".") for part in value.split(",") if part.strip()]


def _origin(scheme: str, host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{shown}" if port in (None, default) else f"{scheme}://{shown}:{port}"


@dataclass(frozen=True, slots=True)
class CheckedEndpoint:
    url: str
    """Where to send: the endpoint with its host replaced by the address just checked."""
    host: str
    """The name, for ``Host`` and TLS (certificate and SNI)."""
    audience: str
    """The endpoint's origin, VAPID's ``aud``."""
    pinned: bool


class EndpointPolicy:
    """Which endpoints may be pushed to (``BCA_WEB_PUSH_HOSTS``, ``BCA_WEB_PUSH_TEST_ORIGINS``)."""

    def __init__(self, settings: Settings) -> None:
        self._hosts = _patterns(settings.web_push_hosts)
        self._test_origins = (
            set()
            if settings.mode is Mode.production
            else {
                origin.strip().rstrip("/").lower()
                for origin in settings.web_push_test_origins.split(",")
                if origin.strip()
            }
        )

    async def check(self, endpoint: str) -> CheckedEndpoint:
        """The endpoint, checked (raises :class:`EndpointRefused` with a reason fit to show)."""
        try:
            if any(char.isspace() or not char.isprintable() for char in endpoint):
                raise ValueError("spaces or control characters")
            parts = urlsplit(endpoint)
            port = parts.port
            httpx.URL(endpoint)
        except (ValueError, httpx.InvalidURL):
            raise EndpointRefused("The endpoint is not a URL.") from None
        host = (parts.hostname or "").lower().rstrip(".")
        if not host or parts.username is not None or parts.password is not None:
            raise EndpointRefused("The endpoint is not a push service's URL.")
        origin = _origin(parts.scheme.lower(), host, port)
        if origin in self._test_origins:
            return CheckedEndpoint(endpoint, host, origin, pinned=False)
        if parts.scheme.lower() != "https":
            raise EndpointRefused("The endpoint must be an https URL.")
        if port not in (None, 443):
            raise EndpointRefused("The endpoint must use the https port.")
        if not _host_allowed(host, self._hosts):
            raise EndpointRefused("The endpoint is not on a known push service.")
        try:
            addresses = await safe_fetch.public_addresses(host, 443)
        except safe_fetch.AddressRefused as refused:
            raise EndpointRefused(f"The endpoint's {refused}.") from None
        pinned_host = f"[{addresses[0]}]" if ":" in addresses[0] else addresses[0]
        url = parts._replace(netloc=pinned_host).geturl()
        return CheckedEndpoint(url, host, origin, pinned=True)


def load_vapid_key(value: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM, or from the base64url of its 32-byte secret."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
    else:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the VAPID key must be a P-256 (prime256v1) private key")
    return key


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _uncompressed(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def encrypt(payload: bytes, target: WebPushTarget) -> bytes:
    """RFC 8291: ``payload`` for the subscription's keys, in one aes128gcm record."""
    receiver = b64url_decode(target.p256dh)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    body: bytes = http_ece.encrypt(
        payload,
        salt=os.urandom(16),
        private_key=ephemeral,
        dh=receiver,
        auth_secret=b64url_decode(target.auth),
        version="aes128gcm",
    )
    return body


def valid_subscription_keys(p256dh: str, auth: str) -> bool:
    """The browser's keys are a P-256 point and a 16-byte secret."""
    try:
        point = b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        return len(point) == 65 and len(b64url_decode(auth)) == 16
    except ValueError:
        return False


class WebPushSender(Protocol):
    enabled: bool
    public_key: str
    """The VAPID public key, base64url of the uncompressed point ('' when off)."""

    async def check(self, endpoint: str) -> None:
        """Raise :class:`EndpointRefused` unless the endpoint may be pushed to."""
        ...

    async def send(self, target: WebPushTarget, payload: bytes, *, topic: str) -> WebPushResult: ...

    async def close(self) -> None: ...


class VapidWebPushSender:
    enabled = True

    def __init__(self, settings: Settings, private_key: str, *, timeout: float = 10.0) -> None:
        self._key = load_vapid_key(private_key)
        self.public_key = b64url(_uncompressed(self._key.public_key()))
        self._subject = settings.web_push_subject or _default_subject(settings)
        self._policy = EndpointPolicy(settings)
        self._tokens: dict[str, tuple[str, float]] = {}
        # Never follow a redirect: the place it names was not checked.
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def check(self, endpoint: str) -> None:
        await self._policy.check(endpoint)

    def _token(self, audience: str) -> str:
        now = time.time()
        cached = self._tokens.get(audience)
        if cached is not None and cached[1] - now > 3600:
            return cached[0]
        expires = int(now) + VAPID_TOKEN_SECONDS
        claims = {"aud": audience, "exp": expires, "sub": self._subject}
        token = jwt.encode(claims, self._key, algorithm="ES256", headers={"typ": "JWT"})
        self._tokens[audience] = (token, expires)
        return token

    async def send(self, target: WebPushTarget, payload: bytes, *, topic: str) -> WebPushResult:
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise ValueError("a Web Push payload must stay small")
        try:
            checked = await self._policy.check(target.endpoint)
        except EndpointRefused as refused:
            logger.warning("Web Push endpoint refused at send: %s", refused)
            return WebPushResult.failed
        headers = {
            "Authorization": f"vapid t={self._token(checked.audience)},k={self.public_key}",
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(PUSH_TTL_SECONDS),
            "Urgency": "high",
            "Topic": topic,
        }
        extensions: dict[str, Any] = {}
        if checked.pinned:
            headers["Host"] = checked.host
            extensions["sni_hostname"] = checked.host
        service = checked.audience
        try:
            response = await self._http.post(
                checked.url,
                content=encrypt(payload, target),
                headers=headers,
                extensions=extensions,
            )
        except httpx.HTTPError as error:
            logger.warning("Web Push to %s failed: %s", service, type(error).__name__)
            return WebPushResult.retry
        except httpx.InvalidURL:
            logger.error("Web Push to %s: not a URL httpx can send to", service)
            return WebPushResult.failed
        status = response.status_code
        if 200 <= status < 300:
            return WebPushResult.sent
        if status in (404, 410):
            return WebPushResult.gone
        if status == 429 or status >= 500:
            logger.warning("Web Push service %s answered %d", service, status)
            return WebPushResult.retry
        logger.error("Web Push service %s refused a push: %d", service, status)
        return WebPushResult.failed

    async def close(self) -> None:
        await self._http.aclose()


def _default_subject(settings: Settings) -> str:
    if settings.public_url.startswith("https://"):
        return settings.public_url.rstrip("/")
    address = settings.mail_from.rsplit("<", 1)[-1].rstrip(">").strip()
    return f"mailto:{address}"


class NullWebPushSender:
    """Stands in when no VAPID key is configured (production without one)."""

    enabled = False
    public_key = ""

    async def check(self, endpoint: str) -> None:
        raise EndpointRefused("Web Push is not configured on this server.")

    async def send(self, target: WebPushTarget, payload: bytes, *, topic: str) -> WebPushResult:
        return WebPushResult.failed

    async def close(self) -> None:
        return None


def create_web_push_sender(settings: Settings) -> WebPushSender:
    key = settings.vapid_private_key
    if key is None:
        return NullWebPushSender()
    return VapidWebPushSender(settings, key)


def payload_json(values: dict[str, Any]) -> bytes:
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()
