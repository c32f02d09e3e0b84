"""Property-based fuzzing of the whole OpenAPI surface: no input ever yields a 500.

Schemathesis generates valid and invalid requests for every documented operation and sends
them, authenticated as a real signed-in user, to the embedded stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.core.result import Ok
from starlette.testclient import TestClient

from bca.app import create_app
from bca.core.migrations import upgrade
from bca.settings import load_settings
from tests.factories.accounts import DEFAULT_PASSWORD

SESSION_ENDING = {("POST", "/v1/auth/signout"), ("POST", "/v1/auth/signout-all")}


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("fuzz")
    database = tmp / "fuzz.db"
    upgrade(f"sqlite+aiosqlite:///{database}")
    app_settings = load_settings(
        data_dir=tmp / "var",
        database_url=f"sqlite+aiosqlite:///{database}",
        secret_key="fuzz-secret-key-" + "x" * 32,
        rate_limit_enabled=False,
        require_email_verification=False,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        log_json=False,
    )
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as client:
        body = {"email": "fuzz@example.com", "username": "fuzzer", "password": DEFAULT_PASSWORD}
        assert client.post("/v1/auth/signup", json=body).status_code == 201
        signin = client.post(
            "/v1/auth/signin", json={"login": "fuzzer", "password": DEFAULT_PASSWORD}
        )
        client.headers["Authorization"] = f"Bearer {signin.json()['access_token']}"
        yield client


def test_no_input_yields_a_server_error(fuzz_client: TestClient) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_client.app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SESSION_ENDING:
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case[Any]) -> None:
            response = case.call(headers=dict(fuzz_client.headers))
            case.validate_response(response, checks=[checks.not_a_server_error])

        try:
            check()
        except Exception as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n".join(failures)
