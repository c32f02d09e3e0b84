"""Requests to places a user named, without server-side request forgery.

Two features send requests to addresses users choose: Web Push (the subscription's endpoint)
and link previews (a link in a message). Both go through this module, the one place where
names are resolved (:data:`resolve`, which tests patch at this edge) and addresses judged
(:func:`public_address`):

- :func:`public_addresses` resolves a host and refuses it unless *every* address is globally
  routable unicast: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7 and so fd00::/8),
  link-local (169.254/16 and so the cloud metadata address 169.254.169.254, fe80::/10), shared,
  reserved and multicast are refused, IPv4 wrapped in IPv6 (mapped, 6to4, Teredo, NAT64)
  judged as the IPv4 address inside.
- :func:`fetch` GETs a URL for a preview: ``http``/``https`` only, on the allowed ports (80 and
  443 unless configured), every hop checked again (at most ``max_redirects`` redirects, each
  to a URL checked like the first), and each request sent to the address just checked (the
  name is kept for ``Host`` and TLS: certificate and SNI), so a name re-pointed at a private
  address between the check and the connection is never followed. It reads at most
  ``max_bytes`` (a longer body is cut, or refused when a whole body is needed), gives up after
  ``timeout`` seconds in all, and accepts only the content types asked for. Environment proxies
  are ignored (a proxy would resolve the name again).

Anything refused raises :class:`FetchRefused` with a reason fit for a log line (never the
URL's query, which may hold a secret).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import httpx

Resolver = Callable[[str, int], Awaitable[list[str]]]

REDIRECTS = frozenset({301, 302, 303, 307, 308})


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the one place names are resolved: tests patch it)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return [str(info[4][0]) for info in infos]


resolve: Resolver = system_resolve


def public_address(address: str) -> bool:
    """True for a globally routable unicast address (not loopback, private, link-local and
    so cloud metadata, shared, reserved, multicast, or one of those wrapped in IPv6)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        wrapped = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if wrapped is not None:
            return public_address(str(wrapped))
        if ip in ipaddress.IPv6Network("64:ff9b::/96"):  # NAT64: the IPv4 address inside
            return public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    return ip.is_global and not ip.is_multicast


class AddressRefused(ValueError):
    """The host does not resolve, or resolves to an address this server will not reach."""


async def public_addresses(host: str, port: int) -> list[str]:
    """The addresses of ``host`` (an address literal stands for itself), every one of them
    public; raises :class:`AddressRefused` otherwise."""
    literal = host.strip("[]")
    try:
        addresses = [str(ipaddress.ip_address(literal))]
    except ValueError:
        try:
            addresses = await resolve(host, port)
        except (OSError, UnicodeError):
            raise AddressRefused("the host does not resolve") from None
    if not addresses or not all(public_address(address) for address in addresses):
        raise AddressRefused("the host is not a public address")
    return addresses


class FetchRefused(Exception):
    """A fetch that was refused or given up; ``reason`` says why (no URL in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FetchPolicy:
    """What :func:`fetch` may reach and read."""

    ports: frozenset[int] = frozenset({80, 443})
    test_origins: frozenset[str] = frozenset()
    """Origins (``http://127.0.0.1:8123``) fetched as they are, without the port and address
    checks: for test servers only (the settings refuse them in production)."""
    max_bytes: int = 1_000_000
    timeout: float = 5.0
    max_redirects: int = 3


@dataclass(frozen=True)
class Fetched:
    url: str
    """The URL that answered (after redirects)."""
    content_type: str
    """The media type, lower case, without parameters."""
    charset: str | None
    body: bytes
    cut: bool = field(default=False)
    """The body was longer than ``max_bytes`` and is its beginning only."""


def origin_of(url: httpx.URL) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}" + (f":{url.port}" if url.port is not None else "")


@dataclass(frozen=True)
class _Target:
    url: httpx.URL
    headers: dict[str, str]
    extensions: dict[str, Any]


async def _check(url: httpx.URL, policy: FetchPolicy) -> _Target:
    """Where to send the request for ``url``, checked (raises :class:`FetchRefused`)."""
    if url.scheme not in ("http", "https"):
        raise FetchRefused("not an http or https URL")
    if not url.host or url.userinfo:
        raise FetchRefused("not a plain web address")
    if origin_of(url) in policy.test_origins:
        return _Target(url, {}, {})
    port = url.port if url.port is not None else (443 if url.scheme == "https" else 80)
    if port not in policy.ports:
        raise FetchRefused(f"port {port} is not allowed")
    host = url.raw_host.decode("ascii")
    try:
        addresses = await public_addresses(host, port)
    except AddressRefused as refused:
        raise FetchRefused(str(refused)) from None
    headers = {"Host": url.netloc.decode("ascii")}
    extensions: dict[str, Any] = {"sni_hostname": host} if url.scheme == "https" else {}
    return _Target(url.copy_with(host=addresses[0]), headers, extensions)


def _media_type(value: str) -> tuple[str, str | None]:
    kind, _, parameters = value.partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, given = parameter.partition("=")
        if name.strip().lower() == "charset" and given.strip():
            charset = given.strip().strip("\"'").lower()
    return kind.strip().lower(), charset


def new_client(policy: FetchPolicy) -> httpx.AsyncClient:
    """A client for :func:`fetch`: no redirects followed by itself, no environment proxies."""
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        timeout=policy.timeout,
        headers={"User-Agent": "B.Ca link preview (+https://github.com/bca)"},
    )


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    policy: FetchPolicy,
    accept: Collection[str],
    whole: bool = False,
) -> Fetched:
    """GET ``url`` under ``policy``: a body of one of the ``accept`` media types (``image/*``
    accepts any image), at most ``policy.max_bytes`` of it (``whole``: a longer one is refused
    rather than cut). Raises :class:`FetchRefused`."""
    try:
        current = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise FetchRefused("not a URL") from None
    try:
        async with asyncio.timeout(policy.timeout):
            for _hop in range(policy.max_redirects + 1):
                target = await _check(current, policy)
                async with client.stream(
                    "GET",
                    target.url,
                    headers={
                        "Accept": ", ".join(accept),
                        "Accept-Encoding": "identity",
                        **target.headers,
                    },
                    extensions=target.extensions,
                ) as response:
                    if response.status_code in REDIRECTS:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchRefused("a redirect without a location")
                        current = current.join(location)
                        continue
                    if response.status_code != 200:
                        raise FetchRefused(f"answered {response.status_code}")
                    if response.headers.get("content-encoding", "identity") != "identity":
                        raise FetchRefused("an encoded body")  # no decompression bombs
                    media, charset = _media_type(response.headers.get("content-type", ""))
                    if not _accepted(media, accept):
                        raise FetchRefused(f"not an accepted type ({media or 'none'})")
                    return await _read(response, current, media, charset, policy, whole=whole)
            raise FetchRefused("too many redirects")
    except TimeoutError:
        raise FetchRefused("took too long") from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as error:
        raise FetchRefused(f"failed ({type(error).__name__})") from None


def _accepted(media: str, accept: Collection[str]) -> bool:
    for wanted in accept:
        if wanted.endswith("/*") and media.startswith(wanted[:-1]):
            return True
        if media == wanted:
            return True
    return False


async def _read(
    response: httpx.Response,
    url: httpx.URL,
    media: str,
    charset: str | None,
    policy: FetchPolicy,
    *,
    whole: bool,
) -> Fetched:
    declared = response.headers.get("content-length", "")
    if whole and declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchRefused("too large")
    body = bytearray()
    cut = False
    async for chunk in response.aiter_raw():
        body += chunk
        if len(body) > policy.max_bytes:
            if whole:
                raise FetchRefused("too large")
            del body[policy.max_bytes :]
            cut = True
            break
    return Fetched(str(url), media, charset, bytes(body), cut)
