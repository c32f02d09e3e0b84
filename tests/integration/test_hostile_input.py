"""Hostile input, as an attacker sends it: every case a 4xx problem document, nothing stored.

The text corpus is derived from the OpenAPI document, so that a new endpoint or field is
covered without touching this file: NUL and lone surrogates in every string of every JSON
and form body (object keys included), in every path and query parameter, and in stored
headers. Then oversized bodies, images that break Pillow or would hold a decode slot for
seconds, and access tokens signed with the right key but with claims of the wrong shape.
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest
from sqlalchemy import func, select

import bca.app
from bca.app import create_app
from bca.backends import Backends
from bca.core.boundary import json_has_unstorable
from bca.core.problems import PROBLEM_CONTENT_TYPE
from bca.domains import metadata_of
from tests.factories.accounts import Api, TestUser
from tests.factories.cards import multipart
from tests.fixtures.live_server import live_server  # noqa: F401  # the fixture
from tests.fixtures.servers import Server, start_server

MAX_JSON_BYTES = 4096
MAX_UPLOAD_BYTES = 2 * 1024 * 1024

HOSTILE_TEXTS = {"nul": "a\x00b", "high surrogate": "a\ud800b", "low surrogate": "\udfffb"}
NUL = "a%00b"
REFUSAL_MESSAGE = "Text must not contain NUL characters or unpaired surrogates."


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_json_bytes": MAX_JSON_BYTES, "max_upload_bytes": MAX_UPLOAD_BYTES}


async def row_counts(backends: Backends) -> dict[str, int]:
    async with backends.database.transaction() as session:
        return {
            name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in metadata_of().tables.items()
        }


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, (response.request.url, response.text)
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE, response.request.url
    assert response.json()["code"] == code, response.text


# --- the OpenAPI document as a corpus ---------------------------------------------------------


class Schemas:
    """JSON Schema helpers over one OpenAPI document: resolve, sample, find the text."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.components: dict[str, Any] = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def alternatives(self, schema: dict[str, Any]) -> list[dict[str, Any]]:
        schema = self.resolve(schema)
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                return [alt for option in schema[key] for alt in self.alternatives(option)]
        return [schema]

    def sample(self, schema: dict[str, Any], depth: int = 0) -> Any:
        """A small value of the schema's shape (valid or not does not matter here)."""
        options = [alt for alt in self.alternatives(schema) if alt.get("type") != "null"]
        chosen = options[0] if options else {}
        if "const" in chosen:
            return chosen["const"]
        if "enum" in chosen:
            return chosen["enum"][0]
        kind = chosen.get("type")
        if kind == "object" and depth < 4:
            properties = chosen.get("properties", {})
            return {
                name: self.sample(properties[name], depth + 1)
                for name in chosen.get("required", [])
                if name in properties
            }
        if kind == "array":
            return []
        if kind in ("integer", "number"):
            return chosen.get("minimum", 1)
        if kind == "boolean":
            return False
        if chosen.get("format") == "uuid":
            return str(uuid.uuid4())
        return "x" * max(1, chosen.get("minLength", 1))

    def text_places(
        self, schema: dict[str, Any], prefix: tuple[str | int, ...] = (), depth: int = 0
    ) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """Where text can go: (path, "value") for a string, (path, "key") for a mapping's key."""
        options = self.alternatives(schema)
        if any(alt.get("type") in ("string", None) for alt in options):
            yield prefix, "value"
        if depth >= 4:
            return
        for alt in options:
            if alt.get("type") == "object":
                for name, sub in alt.get("properties", {}).items():
                    yield from self.text_places(sub, (*prefix, name), depth + 1)
                if alt.get("additionalProperties", not alt.get("properties")):
                    yield prefix, "key"
            elif alt.get("type") == "array" and "items" in alt:
                yield from self.text_places(alt["items"], (*prefix, 0), depth + 1)


def put_at(document: Any, path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        return [put_at(None, rest, value)]
    container = document if isinstance(document, dict) else {}
    return container | {head: put_at(container.get(head), rest, value)}


def fill_path(path: str) -> str:
    return "".join(
        str(uuid.uuid4()) if index % 2 else part
        for index, part in enumerate(path.replace("{", "}").split("}"))
    )


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def json_encodings(body: Any) -> dict[str, bytes]:
    """The two ways unstorable text reaches a JSON parser: escaped, or as raw (CESU) bytes."""
    return {
        "escaped": json.dumps(body).encode(),
        "raw": json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass"),
    }


@pytest.fixture
async def user(api: Api) -> TestUser:
    return await api.user()


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


async def test_unstorable_text_in_any_body_field_is_refused_everywhere(
    client: httpx.AsyncClient, backends: Backends, user: TestUser, document: dict[str, Any]
) -> None:
    schemas = Schemas(document)
    cases: list[tuple[str, str, str, bytes, tuple[Any, ...]]] = []
    for method, path, operation in operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        url = fill_path(path)
        if "application/json" in content:
            schema = content["application/json"]["schema"]
            clean = schemas.sample(schema)
            # The same body without the hostile text passes the boundary (whatever the route
            # then makes of it): the refusals below are the text's doing.
            control = await client.request(method, url, json=clean, headers=user.headers)
            assert REFUSAL_MESSAGE not in control.text, (method, path, clean)
            for place, kind in schemas.text_places(schema):
                for name, text in HOSTILE_TEXTS.items():
                    body = put_at(clean, place, {text: "x"} if kind == "key" else text)
                    for encoding, raw in json_encodings(body).items():
                        where = (path, *place, kind, name, encoding)
                        cases.append((method, url, "application/json", raw, where))
        if "application/x-www-form-urlencoded" in content:
            schema = schemas.resolve(content["application/x-www-form-urlencoded"]["schema"])
            fields = list(schema.get("properties", {}))
            for field in fields:
                form = "&".join(f"{key}={NUL if key == field else 'x'}" for key in fields)
                cases.append(
                    (method, url, "application/x-www-form-urlencoded", form.encode(), (path, field))
                )
                # A form may come as multipart too, where bytes are no sign of hostility.
                parts = b"".join(
                    b'--form-boundary\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                    % (key.encode(), b"a\x00b" if key == field else b"x")
                    for key in fields
                )
                cases.append(
                    (
                        method,
                        url,
                        "multipart/form-data; boundary=form-boundary",
                        parts + b"--form-boundary--\r\n",
                        (path, field, "multipart"),
                    )
                )
    assert len(cases) > 300
    before = await row_counts(backends)
    for method, url, content_type, raw, where in cases:
        response = await client.request(
            method, url, content=raw, headers=user.headers | {"Content-Type": content_type}
        )
        assert_problem(response, 422, "validation_error")
        assert response.json()["errors"][0]["loc"][0] == "body", where
    assert await row_counts(backends) == before


async def test_unstorable_text_in_any_parameter_is_refused_everywhere(
    client: httpx.AsyncClient, backends: Backends, user: TestUser, document: dict[str, Any]
) -> None:
    before = await row_counts(backends)
    cases = 0
    for method, path, operation in operations(document):
        public_card = path.startswith("/c/")
        for parameter in operation.get("parameters", []):
            where, name = parameter["in"], parameter["name"]
            url = fill_path(path)
            headers = dict(user.headers)
            if where == "path":
                url = fill_path(path.replace("{" + name + "}", NUL))
            elif where == "query":
                url = f"{url}?{quote(name)}={NUL}"
            elif where == "header":
                headers[name] = "a\x00b"
            else:
                continue
            response = await client.request(method, url, headers=headers)
            cases += 1
            if method == "HEAD":  # the same answer, without its body
                assert response.status_code == 422, (method, url)
            elif public_card and where != "header":
                assert_problem(response, 404, "not_found")
            else:
                assert_problem(response, 422, "validation_error")
                assert response.json()["errors"][0]["loc"][0] == where, (method, url)
    assert cases > 50
    # Public card paths: every spelling of a token that no link can have is simply not found.
    for url in ("/c/%00", "/c/a%00b.vcf", "/c/%00/preview", "/c/x?a=%00"):
        assert_problem(await client.get(url), 404, "not_found")
    # Stored headers: the device's User-Agent and the message's Idempotency-Key.
    signin = await client.post(
        "/v1/auth/signin",
        json={"login": user.username, "password": user.password},
        headers={"User-Agent": "phone\x00"},
    )
    assert_problem(signin, 422, "validation_error")
    # Basic credentials come base64-encoded, past any check of the raw header.
    dav = await client.request(
        "PROPFIND", "/dav/", auth=(user.username + "\x00", "app-password-secret")
    )
    assert dav.status_code == 401
    assert await row_counts(backends) == before


def test_the_json_check_reads_only_what_can_hide_unstorable_text() -> None:
    assert not json_has_unstorable(b'{"text": "caf\xc3\xa9 \\u00e9 \\ud83d\\ude00 \xed\x9f\xbf"}')
    assert not json_has_unstorable(b'{"text": "a\\\\u0000 is six characters"}')
    assert not json_has_unstorable(b"[" * 100_000)  # not JSON: the route refuses it itself
    assert json_has_unstorable(b'{"a": [{"b": "\\u0000"}]}')
    assert json_has_unstorable(b'{"a": {"\\udc00": 1}}')
    assert json_has_unstorable(b'["\xed\xa0\x80"]')
    assert json_has_unstorable('{"a": "\\ud800"}'.encode("utf-16-le"))  # json.loads takes it


# --- oversized bodies -------------------------------------------------------------------------


async def chunks(count: int, size: int) -> AsyncIterator[bytes]:
    yield b'{"login": "'
    for _ in range(count):
        yield b"x" * size
    yield b'", "password": "secret-password"}'


async def test_oversized_bodies_are_refused_while_they_arrive(
    client: httpx.AsyncClient, backends: Backends, user: TestUser
) -> None:
    before = await row_counts(backends)
    big = {"login": "x" * MAX_JSON_BYTES, "password": "secret-password"}
    declared = await client.post("/v1/auth/signin", json=big)
    assert_problem(declared, 413, "too_large")
    streamed = await client.post(
        "/v1/auth/signin", content=chunks(10, 1000), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in streamed.request.headers
    assert_problem(streamed, 413, "too_large")
    message = await client.post(
        f"/v1/chats/{uuid.uuid4()}/messages", json={"body": "x" * 5000}, headers=user.headers
    )
    assert_problem(message, 413, "too_large")
    # A form, CardDAV's XML and a body without a Content-Type are bounded alike.
    form = await client.post("/verify-email/resend", data={"login": "x" * MAX_JSON_BYTES})
    assert_problem(form, 413, "too_large")
    xml = b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop>' + b" " * 5000 + b"</prop>"
    dav = await client.request("PROPFIND", "/dav/", content=xml, auth=(user.username, "x"))
    assert_problem(dav, 413, "too_large")
    # A multipart body is held to the upload limit, also where no upload is expected.
    upload = await client.post(
        "/v1/auth/signin", files=multipart(b"x" * (MAX_UPLOAD_BYTES + 100_000), "big.txt")
    )
    assert_problem(upload, 413, "too_large")
    # Just under the limit is fine.
    fits = await client.post(
        "/v1/auth/signin", json={"login": "x" * 3000, "password": "secret-password"}
    )
    assert fits.status_code == 422
    assert fits.json()["errors"][0]["loc"] == ["body", "login"]
    assert await row_counts(backends) == before


# --- images -----------------------------------------------------------------------------------


def gif(frames: int, delay_centiseconds: int, canvas: tuple[int, int] = (1, 1)) -> bytes:
    """A looping GIF of identical 1x1 frames on a canvas, written by hand (Pillow would merge
    identical frames when writing them)."""
    screen = struct.pack("<HHBBB", *canvas, 0x80, 0, 0)
    header = b"GIF89a" + screen + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = (
        b"\x21\xf9\x04\x00"
        + struct.pack("<H", delay_centiseconds)
        + b"\x00\x00\x2c"
        + struct.pack("<HHHH", 0, 0, 1, 1)
        + b"\x00\x02\x02\x44\x01\x00"
    )
    return header + loop + frame * frames + b"\x3b"


async def test_images_that_break_the_decoder_or_the_budget_are_refused(
    client: httpx.AsyncClient, backends: Backends, user: TestUser
) -> None:
    profile = (await client.get("/v1/profiles", headers=user.headers)).json()["items"][0]["id"]
    card = await client.post(
        f"/v1/profiles/{profile}/cards", json={"name": "Desk"}, headers=user.headers
    )
    assert card.status_code == 201, card.text
    before = await row_counts(backends)
    # Two identical frames of 655.35 s each: merged, their duration overflows the GIF field.
    overflowing = gif(2, 0xFFFF)
    assert len(overflowing) < 100
    for method, url in (
        ("POST", "/v1/files"),
        ("PUT", f"/v1/profiles/{profile}/image"),
        ("PUT", f"/v1/cards/{card.json()['id']}/preview"),
    ):
        response = await client.request(
            method, url, files=multipart(overflowing, "a.gif", "image/gif"), headers=user.headers
        )
        assert_problem(response, 422, "validation_error")
    # 50,000 frames in 1.1 MB: refused from the frame count, before any frame is decoded.
    many = gif(50_000, 10)
    started = time.perf_counter()
    response = await client.post(
        "/v1/files", files=multipart(many, "many.gif", "image/gif"), headers=user.headers
    )
    elapsed = time.perf_counter() - started
    assert_problem(response, 413, "too_large")
    assert "frames" in response.json()["detail"]
    assert elapsed < 3, f"took {elapsed:.1f} s"
    # Within the frame count, the pixels of all frames are bounded too.
    frames = backends.settings.max_image_frames
    assert 250 * 100 * frames > backends.settings.max_animation_pixels
    wide = gif(frames, 10, canvas=(250, 100))
    response = await client.post(
        "/v1/files", files=multipart(wide, "wide.gif", "image/gif"), headers=user.headers
    )
    assert_problem(response, 413, "too_large")
    assert "pixels in all frames" in response.json()["detail"]
    assert await row_counts(backends) == before


# --- access tokens ----------------------------------------------------------------------------


async def test_tokens_with_claims_of_the_wrong_shape_are_refused(
    client: httpx.AsyncClient, backends: Backends, user: TestUser
) -> None:
    key = backends.settings.signing_key
    good = jwt.decode(user.access_token, key, algorithms=["HS256"])
    assert (await client.get("/v1/me", headers=user.headers)).status_code == 200
    variants: dict[str, dict[str, Any]] = {
        "sid as an integer": {"sid": 12345},
        "sid as a list": {"sid": [good["sid"]]},
        "sid not a uuid": {"sid": "session"},
        "sub as an integer": {"sub": 1},
        "sub as an object": {"sub": {"id": good["sub"]}},
        "sub with NUL": {"sub": good["sub"] + "\x00"},
        "exp as a string": {"exp": str(good["exp"])},
        "exp as true": {"exp": True},
        "exp infinite": {"exp": float("inf")},
        "exp not a number": {"exp": float("nan")},
        "iat as a string": {"iat": str(good["iat"])},
        "iat as a list": {"iat": [good["iat"]]},
        "iat infinite": {"iat": float("inf")},
        "nbf as a list": {"nbf": [1]},
        "typ missing": {"typ": None},
        "typ refresh": {"typ": "refresh"},
        "aud unexpected": {"aud": "someone-else"},
    }
    for name, change in variants.items():
        claims = {key_: value for key_, value in (good | change).items() if value is not None}
        token = jwt.encode(claims, key, algorithm="HS256")
        response = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 401, "unauthorized")
        assert response.status_code == 401, name
    # A payload that is JSON but not an object, signed with the right key.
    for payload in (b"[1, 2]", b'"text"', b"null", b"1e999"):
        token = jwt.api_jws.encode(payload, key, algorithm="HS256")
        response = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 401, "unauthorized")


# --- errors never escape ----------------------------------------------------------------------


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ")[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in head[1:] if line)
    }
    return status, headers, await reader.readexactly(int(headers["content-length"]))


async def test_an_unhandled_error_is_answered_inside_the_app_and_the_connection_stays_open(
    backends: Backends,
    live_server: str,  # noqa: F811  # the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(_backends: Backends) -> object:
        raise RuntimeError("a bug in a route")

    monkeypatch.setattr(bca.app, "readiness_report", broken)
    # In process, with the transport re-raising whatever escapes the app: nothing does.
    app = create_app(backends.settings, backends=backends)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=True), base_url="http://t"
    ) as http:
        crashed = await http.get("/readyz")
    assert_problem(crashed, 500, "internal_error")
    assert crashed.json()["request_id"] == crashed.headers["x-request-id"]
    assert "a bug in a route" not in crashed.text

    # On a real server: two requests on one keep-alive connection, the first one crashing.
    host, port = live_server.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        for path, expected in (("/readyz", 500), ("/healthz", 200), ("/readyz", 500)):
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            await writer.drain()
            status, headers, body = await asyncio.wait_for(read_response(reader), 10)
            assert status == expected, body
            assert headers.get("connection") != "close"
        assert json.loads(body)["code"] == "internal_error"
    finally:
        writer.close()
    assert "unhandled error" in caplog.text
    assert "Exception in ASGI application" not in caplog.text


# --- memory -----------------------------------------------------------------------------------


def resident_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for process {pid}")


@pytest.mark.slow
def test_a_huge_body_is_refused_without_the_server_holding_it(tmp_path: Path) -> None:
    """A 300 MB JSON body to the public sign-in, streamed: 413, and the server's peak memory
    grows by a few MB at most. Costs about 10 s (start-up, then 300 MB through the loopback)."""
    # A patient start: the embedded server migrates its database first, on a busy machine.
    server = start_server({"BCA_RATE_LIMIT_ENABLED": "false"}, cwd=tmp_path, timeout=120)
    try:
        _send_a_huge_body(server)
    finally:
        server.stop()


def _send_a_huge_body(server: Server) -> None:
    pid = server.process.pid
    chunk = b"x" * (1024 * 1024)

    def body() -> Iterator[bytes]:
        yield b'{"login": "'
        for _ in range(300):
            yield chunk
        yield b'", "password": "secret-password"}'

    with httpx.Client(base_url=server.url, timeout=120) as http:
        for _ in range(3):  # warm up: what the first requests allocate once is not the body
            http.post("/v1/auth/signin", json={"login": "nobody", "password": "wrong-password"})
        baseline = resident_kib(pid, "VmRSS")
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak (VmHWM) starts again here
        response = http.post(
            "/v1/auth/signin", content=body(), headers={"Content-Type": "application/json"}
        )
        assert_problem(response, 413, "too_large")
        peak = resident_kib(pid, "VmHWM")
        # The connection is still good for the next request.
        assert http.get("/healthz").status_code == 200
    grown_mib = (peak - baseline) / 1024
    assert grown_mib < 8, f"the server's memory grew by {grown_mib:.1f} MiB"
