"""The OpenAPI document tells the truth: Schemathesis against a real ``bca serve``.

Every phase runs (examples, coverage, fuzzing, stateful with the links Schemathesis infers
from the document, so created profiles, cards and chats are reused), signed in as a verified
user, on each stack. What is checked: no 5xx, every status and content type documented for its
operation, every body and documented header as the document says.
"""

from __future__ import annotations

import email
import email.policy
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from bca.settings import Settings
from tests.factories.accounts import DEFAULT_PASSWORD, token_from_text
from tests.fixtures.servers import Server, start_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
# These end the run's own session or account, after which every request is a (documented)
# 401 and nothing else gets tested: left to the dedicated tests of accounts and sessions.
SESSION_ENDING = (
    ("POST", "/v1/auth/signout"),
    ("POST", "/v1/auth/signout-all"),
    ("POST", "/v1/auth/password/change"),
    ("DELETE", "/v1/me"),
    ("DELETE", "/v1/sessions/{session_id}"),
)
MAX_EXAMPLES = 8
"""Per operation in the fuzzing phase: bounded so that one stack's run takes a few minutes."""
STATEFUL_SCENARIOS = 40
STATEFUL_MAX_STEPS = 15


@dataclass
class Outcome:
    operations: set[str] = field(default_factory=set)
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    phase_seconds: dict[str, float] = field(default_factory=dict)
    links: int = 0


@pytest.fixture
def server(settings: Settings, backends: Any, tmp_path: Path) -> Iterator[Server]:
    """``backends`` comes first: the database and Redis start empty."""
    assert settings.database_url is not None
    env = {
        "BCA_DATABASE_URL": settings.database_url,
        "BCA_SECRET_KEY": settings.signing_key,
        "BCA_DATA_DIR": str(tmp_path / "served"),
        "BCA_PUBLIC_URL": "http://bca.test",
        "BCA_PASSWORD_HASH_TIME_COST": "1",
        "BCA_PASSWORD_HASH_MEMORY_KIB": "1024",
        "BCA_LOG_LEVEL": "WARNING",
    }
    if settings.redis_url is not None:
        env["BCA_REDIS_URL"] = settings.redis_url
    # A busy CI machine can take a while to start it.
    served = start_server(env, cwd=tmp_path, timeout=120)
    yield served
    served.stop()


def signed_in_token(server: Server, data_dir: Path) -> str:
    """Sign up, follow the verification mail's link, sign in: a user like any other."""
    address = "fuzzer@example.com"
    with httpx.Client(base_url=server.url, timeout=30) as client:
        body = {"email": address, "username": "fuzzer", "password": DEFAULT_PASSWORD}
        assert client.post("/v1/auth/signup", json=body).status_code == 201
        token = token_from_text(wait_for_mail(data_dir / "outbox", address), "verify")
        assert client.post("/v1/auth/email/verify", json={"token": token}).status_code == 204
        signin = client.post(
            "/v1/auth/signin", json={"login": address, "password": body["password"]}
        )
        assert signin.status_code == 200, signin.text
        access_token: str = signin.json()["access_token"]
        return access_token


def wait_for_mail(outbox: Path, address: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body(("plain",))
            if message["To"] == address and body is not None:
                text: str = body.get_content()
                return text
        time.sleep(0.1)
    raise AssertionError(f"no mail to {address} in {outbox}")


def run_schemathesis(base_url: str, token: str) -> Outcome:
    config = SchemathesisConfig.from_dict(
        {
            "headers": {"Authorization": f"Bearer {token}"},
            "checks": {"enabled": False} | {name: {"enabled": True} for name in CHECKS},
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                # NUL in text too: it must be a 422 on every database (core.boundary).
                "allow-x00": True,
            },
            "phases": {
                # Requests with methods no route has feed only the unsupported_method check.
                "coverage": {"unexpected-methods": []},
                "stateful": {
                    "max-steps": STATEFUL_MAX_STEPS,
                    "generation": {"max-examples": STATEFUL_SCENARIOS},
                },
            },
            "operations": [
                {
                    "include-name": [f"{method} {path}" for method, path in SESSION_ENDING],
                    "enabled": False,
                }
            ],
            "workers": 1,
        }
    )
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)
    outcome = Outcome()
    started = phase_started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted):
            phase_started = time.monotonic()
            if event.payload is not None:
                outcome.links = event.payload.transitions_selected
        elif isinstance(event, events.PhaseFinished):
            outcome.phase_seconds[event.phase.name.value] = time.monotonic() - phase_started
        elif isinstance(event, events.ScenarioFinished):
            record(outcome, event.phase.value, event.recorder)
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append(f"{event.phase}: {event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            outcome.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            outcome.failures.extend(str(failure) for failure in event.failures)
    outcome.seconds = time.monotonic() - started
    return outcome


def record(outcome: Outcome, phase: str, recorder: Any) -> None:
    outcome.cases[phase] += len(recorder.cases)
    for node in recorder.cases.values():
        operation = node.value.operation
        outcome.operations.add(f"{operation.method.upper()} {operation.path}")
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            outcome.statuses[interaction.response.status_code] += 1
    for checks in recorder.checks.values():
        for check in checks:
            if check.status == Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                outcome.failures.append(
                    f"[{phase}] {failure.operation} {check.name}: {failure.title}\n"
                    f"{failure.message}\n{check.failure_info.code_sample}"
                )


def test_the_document_tells_the_truth(server: Server, tmp_path: Path, stack: str) -> None:
    """All phases on one stack: about 3,800 requests, some 5 minutes on a busy 2-core machine
    (coverage ~150 s, fuzzing ~60 s, stateful ~80 s). The figures go to the test's output."""
    token = signed_in_token(server, tmp_path / "served")
    outcome = run_schemathesis(server.url, token)
    phases = {phase: round(seconds) for phase, seconds in outcome.phase_seconds.items()}
    print(
        f"\n{stack}: {len(outcome.operations)} operations, "
        f"{sum(outcome.cases.values())} test cases {dict(outcome.cases)}, "
        f"{outcome.links} stateful links, statuses {dict(sorted(outcome.statuses.items()))}, "
        f"{len(outcome.failures)} failures, {outcome.seconds:.0f} s {phases}"
    )
    assert not outcome.errors, "\n".join(outcome.errors)
    assert not outcome.failures, "\n\n".join(outcome.failures[:30])
    assert len(outcome.operations) > 70, sorted(outcome.operations)
    assert outcome.cases["stateful"] > 0
    assert outcome.links > 20, "the stateful phase reuses what it created through links"
