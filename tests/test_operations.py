"""Problem documents for framework errors, health, readiness and metrics."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import APIRouter

from bca.core.security import issue_access_token
from tests.conftest import make_client
from tests.factories.accounts import Api


async def test_framework_errors_are_problem_documents(api: Api) -> None:
    missing = await api.client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "not_found"

    wrong_method = await api.client.put("/v1/auth/signin")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"

    not_json = await api.client.post(
        "/v1/auth/signin", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert not_json.json()["code"] == "validation_error"

    no_auth = await api.client.get("/v1/me", headers={"Authorization": "Bearer garbage"})
    assert no_auth.status_code == 401
    assert no_auth.json()["code"] == "unauthorized"


async def test_no_content_answers_carry_no_content_type(api: Api) -> None:
    """RFC 9110: a 204 has no content, so no Content-Type; checked across domains."""
    user = await api.user()
    me = (
        user.profile_id
        or (await api.client.get("/v1/profiles", headers=user.headers)).json()["items"][0]["id"]
    )
    card = await api.client.post(
        f"/v1/profiles/{me}/cards", json={"name": "Desk"}, headers=user.headers
    )
    other = await api.user()
    chat = await api.client.post(
        "/v1/chats", json={"profile_id": me, "participant_ids": []}, headers=user.headers
    )
    assert chat.status_code == 201, chat.text
    answers = [
        await api.client.put(
            "/v1/sessions/current/push",
            json={"token": "device", "platform": "android"},
            headers=user.headers,
        ),
        await api.client.post(
            f"/v1/chats/{chat.json()['id']}/read", json={"index": 0}, headers=user.headers
        ),
        await api.client.delete(f"/v1/cards/{card.json()['id']}", headers=user.headers),
        await api.client.post("/v1/auth/signout", headers=other.headers),
    ]
    for answer in answers:
        assert answer.status_code == 204, (answer.request.url, answer.text)
        assert "content-type" not in answer.headers, answer.request.url
        assert answer.content == b""


async def test_unhandled_errors_answer_500_without_a_trace(
    backends: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client(backends) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        router = APIRouter()

        @router.get("/boom")
        async def boom() -> None:
            raise RuntimeError("secret internals")

        app.include_router(router)
        response = await client.get("/boom", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    assert body["request_id"] == "req-123"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert any(getattr(record, "request_id", None) == "req-123" for record in caplog.records)


async def test_health_readiness_and_metrics(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"]) == {"database", "cache", "storage", "broker", "scans"}
    metrics = await api.client.get("/metrics")
    assert metrics.status_code == 200
    assert 'bca_http_requests_total{method="GET",route="/readyz",status="200"}' in metrics.text
    assert "bca_http_request_duration_seconds_bucket" in metrics.text
    assert api.client.headers.get("x-request-id") is None
    assert ready.headers["x-request-id"]


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.node.name.startswith("test_readiness_fails"):
        return {"redis_url": "redis://127.0.0.1:1/0"}
    return {}


async def test_readiness_fails_when_the_cache_is_down(api: Api) -> None:
    response = await api.client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "unavailable"
    assert body["checks"]["cache"] == "down"
    assert body["checks"]["database"] == "ok"
    assert int(response.headers["Retry-After"]) > 0


async def test_readiness_fails_and_bearer_authentication_fails_closed_while_the_cache_is_down(
    api: Api, backends: Any
) -> None:
    token = issue_access_token(
        user_id=uuid.uuid4(),
        session_id=uuid.uuid4(),
        key=backends.settings.signing_key,
        ttl_seconds=60,
    )
    # Revocation is answered by the cache: without it a bearer token is refused, not trusted.
    response = await api.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "unavailable"
    assert int(response.headers["Retry-After"]) > 0
    # The sign-in lockout lives in the database (accounts/lockout.py), so sign-in still answers
    # as it would with the cache up.
    response = await api.client.post(
        "/v1/auth/signin", json={"login": "anyone", "password": "x" * 12}
    )
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "invalid_credentials"


async def test_a_lost_constraint_race_is_409_and_a_dead_database_503(backends: Any) -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    async with make_client(backends) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        router = APIRouter()

        @router.get("/race")
        async def race() -> None:
            raise IntegrityError("INSERT ...", {}, Exception("duplicate key"))

        @router.get("/down")
        async def down() -> None:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

        app.include_router(router)
        race_response = await client.get("/race")
        down_response = await client.get("/down")
    assert race_response.status_code == 409
    assert race_response.json()["code"] == "conflict"
    assert down_response.status_code == 503
    assert down_response.json()["code"] == "unavailable"
    assert down_response.headers["Retry-After"] == "5"


async def test_the_document_lists_each_operations_errors_as_problems(api: Api) -> None:
    """The errors an operation answers with follow from its shape (core.openapi); the
    schemathesis run (test_fuzz) checks them against a live server, this the document alone."""
    document = (await api.client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem = document["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status", "detail", "code"]
    paths = document["paths"]

    def errors(method: str, path: str) -> dict[str, list[str]]:
        responses = paths[path][method]["responses"]
        return {
            status: sorted(response.get("content", {}))
            for status, response in responses.items()
            if int(status) >= 400
        }

    problem_only = ["application/problem+json"]
    assert errors("patch", "/v1/profiles/{profile_id}") == {
        status: problem_only for status in ("400", "401", "403", "404", "412", "413", "422", "503")
    }
    assert set(errors("post", "/v1/files")) == {"400", "401", "413", "415", "422", "503"}
    assert set(errors("post", "/v1/auth/signin")) == {
        "400",
        "401",
        "403",
        "413",
        "422",
        "423",
        "429",
        "503",
    }
    assert "Retry-After" in paths["/v1/auth/signin"]["post"]["responses"]["429"]["headers"]
    assert errors("get", "/c/{token}")["404"] == ["application/problem+json", "text/html"]
    assert errors("get", "/healthz") == {}
    for path, item in paths.items():
        for method, operation in item.items():
            for status, content in errors(method, path).items():
                assert set(content) <= {"application/problem+json", "text/html"}, (path, status)
                assert content, (method, path, status)
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)
            if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
                assert "404" in operation["responses"], (method, path)


async def test_cursors_accept_what_the_document_allows(api: Api) -> None:
    """``cursor`` is documented as URL-safe base64, empty for the first page."""
    user = await api.user()
    first = await api.client.get("/v1/sessions?cursor=", headers=user.headers)
    assert first.status_code == 200, first.text
    assert len(first.json()["items"]) == 1
    forged = await api.client.get("/v1/sessions?cursor=j", headers=user.headers)
    assert forged.status_code == 422
    assert forged.json()["code"] == "validation_error"
    off_pattern = await api.client.get("/v1/sessions?cursor=a%2Bb", headers=user.headers)
    assert off_pattern.status_code == 422
