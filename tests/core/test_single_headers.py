"""Headers a request may carry once (issue 22, item 1).

Two ``Content-Type`` headers once let the input boundary check one (the last) while the
framework parsed the body as the other (the first): NUL reached PostgreSQL (500), and a JSON
body could grow to the multipart limit. A request that repeats ``Content-Type``,
``Content-Length``, ``Transfer-Encoding``, ``Authorization`` or ``Host`` is now 400 at the
outermost layer, for every operation, before anything reads the body.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bca.backends import Backends
from bca.core.boundary import _declares_more_than, repeated_header
from bca.core.problems import PROBLEM_CONTENT_TYPE
from bca.domains import metadata_of
from tests.factories.accounts import Api, TestUser

MAX_JSON_BYTES = 4096


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_json_bytes": MAX_JSON_BYTES}


async def row_counts(backends: Backends) -> dict[str, int]:
    async with backends.database.transaction() as session:
        return {
            name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in metadata_of().tables.items()
        }


def assert_refused(response: httpx.Response, header: str, where: object) -> None:
    assert response.status_code == 400, (where, response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE, where
    problem = response.json()
    assert problem["code"] == "bad_request", where
    assert problem["errors"][0]["loc"] == ["header", header], where


def json_operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                # Any id does: nothing gets as far as looking it up.
                url = path
                while "{" in url:
                    start, end = url.index("{"), url.index("}")
                    url = url[:start] + "00000000-0000-4000-8000-000000000000" + url[end + 1 :]
                found.append((method.upper(), url))
    return found


async def test_every_json_operation_refuses_a_repeated_content_type(
    api: Api, backends: Backends
) -> None:
    user: TestUser = await api.user()
    document = (await api.client.get("/openapi.json")).json()
    operations = json_operations(document)
    assert len(operations) >= 26, operations
    hostile = json.dumps({"login": "x\u0000y", "password": "abcdefgh1", "name": "x\u0000y"})
    before = await row_counts(backends)
    for method, url in operations:
        for second in ("text/plain", "multipart/form-data; boundary=x", "application/json"):
            response = await api.client.request(
                method,
                url,
                content=hostile.encode(),
                headers=[
                    *user.headers.items(),
                    ("Content-Type", "application/json"),
                    ("Content-Type", second),
                ],
            )
            assert_refused(response, "content-type", (method, url, second))
    assert await row_counts(backends) == before


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("content-length", ("2", "2")),
        ("authorization", None),
        ("host", ("testserver", "evil.example")),
        ("transfer-encoding", ("chunked", "identity")),
    ],
)
async def test_other_repeated_headers_are_refused(
    api: Api, header: str, values: tuple[str, str] | None
) -> None:
    user: TestUser = await api.user()
    if values is None:
        values = (user.headers["Authorization"], "Bearer forged")
    response = await api.client.request(
        "POST",
        "/v1/auth/signin",
        content=b"{}",
        headers=[("Content-Type", "application/json"), (header, values[0]), (header, values[1])],
    )
    assert_refused(response, header, header)
    # A GET without a body is refused as well: Authorization decides who asks.
    if header == "authorization":
        response = await api.client.get(
            "/v1/me", headers=[("Authorization", values[0]), ("Authorization", values[0])]
        )
        assert_refused(response, header, "GET /v1/me")


async def test_nul_behind_a_second_content_type_never_reaches_the_database(api: Api) -> None:
    """The issue's case: JSON first, text/plain last, NUL in the login -> was 500."""
    response = await api.client.post(
        "/v1/auth/signin",
        content=b'{"login":"x\\u0000y","password":"abcdefgh1"}',
        headers=[("Content-Type", "application/json"), ("Content-Type", "text/plain")],
    )
    assert_refused(response, "content-type", "signin")
    # With one Content-Type the same body is the boundary's 422, as before.
    single = await api.client.post(
        "/v1/auth/signin",
        content=b'{"login":"x\\u0000y","password":"abcdefgh1"}',
        headers={"Content-Type": "application/json"},
    )
    assert single.status_code == 422
    assert single.json()["errors"][0]["loc"] == ["body"]


async def test_a_json_body_is_held_to_the_json_limit_whatever_else_it_claims(api: Api) -> None:
    body = json.dumps({"login": "x" * (MAX_JSON_BYTES * 2), "password": "abcdefgh1"})
    response = await api.client.post(
        "/v1/auth/signin",
        content=body.encode(),
        headers=[
            ("Content-Type", "application/json"),
            ("Content-Type", "multipart/form-data; boundary=x"),
        ],
    )
    assert_refused(response, "content-type", "limit")


@pytest.mark.parametrize("content_type", ["Application/JSON", "application/json ; charset=utf-8"])
async def test_the_boundary_reads_json_as_the_framework_does(api: Api, content_type: str) -> None:
    response = await api.client.post(
        "/v1/auth/signin",
        content=b'{"login":"x\\u0000y","password":"abcdefgh1"}',
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body"]


@pytest.mark.parametrize("length", ["9" * 5000, "0" * 5000 + "1"])
async def test_a_content_length_of_strange_digits_is_no_server_error(api: Api, length: str) -> None:
    response = await api.client.post(
        "/v1/auth/signin",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": length},
    )
    assert response.status_code < 500, response.text


def test_repeated_header_is_case_blind() -> None:
    assert repeated_header([(b"Host", b"a"), (b"host", b"b")]) == "host"
    assert repeated_header([(b"accept", b"a"), (b"accept", b"b")]) is None


def test_only_ascii_digits_declare_a_length() -> None:
    assert not _declares_more_than("\u00b2", 10)  # "²".isdigit() is true; int() refuses it
    assert _declares_more_than("9" * 5000, 10)
    assert not _declares_more_than("0" * 5000 + "1", 10)


async def test_a_websocket_handshake_with_a_repeated_header_is_refused() -> None:
    """The handshake carries its credentials in the query string or ``Authorization``: two of
    those are refused before the endpoint runs (the server answers the close with 403)."""
    from starlette.types import Message

    from bca.core.boundary import SingleHeaders

    reached = False

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal reached
        reached = True

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    scope = {
        "type": "websocket",
        "path": "/v1/ws",
        "headers": [(b"authorization", b"Bearer a1"), (b"authorization", b"Bearer b2")],
    }
    await SingleHeaders(app)(scope, receive, send)
    assert not reached
    assert sent == [{"type": "websocket.close", "code": 1008}]
