"""Real ``bca serve`` processes: the embedded default, and two instances sharing Redis."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bca.settings import Settings
from tests.factories.accounts import DEFAULT_PASSWORD, token_from_text
from tests.fixtures.servers import Server, shared_stack_environment


def _verified_tokens(server: Server, outbox: Path, name: str) -> dict[str, str]:
    with httpx.Client(base_url=server.url) as http:
        email = f"{name}@example.com"
        body = {"email": email, "username": name, "password": DEFAULT_PASSWORD}
        assert http.post("/v1/auth/signup", json=body).status_code == 201
        token = token_from_text(_mail_to(outbox, email), "verify")
        assert http.post("/v1/auth/email/verify", json={"token": token}).status_code == 204
        signin = http.post("/v1/auth/signin", json={"login": name, "password": DEFAULT_PASSWORD})
        assert signin.status_code == 200, signin.text
        tokens: dict[str, str] = signin.json()
        return tokens


def _mail_to(outbox: Path, address: str, timeout: float = 10) -> str:
    """Mail is sent after the response, so wait for the console mailer's .eml file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in outbox.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address:
                body = message.get_body(("plain",))
                assert body is not None, "every mail has a plain-text part"
                return str(body.get_content())
        time.sleep(0.05)
    raise AssertionError(f"no mail to {address} in {outbox}")


def test_embedded_default_needs_no_configuration(
    bca_server: Callable[..., Server], tmp_path: Path
) -> None:
    """No BCA_* variable at all: SQLite, local storage and the console outbox under ./var/."""
    server = bca_server({}, cwd=tmp_path)
    assert (tmp_path / "var" / "bca.db").exists()
    assert (tmp_path / "var" / "secret_key").exists()
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200, ready.text
    with httpx.Client(base_url=server.url) as http:
        body = {"email": "first@example.com", "username": "first", "password": DEFAULT_PASSWORD}
        assert http.post("/v1/auth/signup", json=body).status_code == 201
    _mail_to(tmp_path / "var" / "outbox", "first@example.com")
    tokens = _verified_tokens(server, tmp_path / "var" / "outbox", "second")
    me = httpx.get(
        f"{server.url}/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["username"] == "second"


@pytest.mark.parametrize("stack", ["postgres"])
def test_revocation_reaches_every_instance_through_redis(
    bca_server: Callable[..., Server], settings: Settings, tmp_path: Path
) -> None:
    env = shared_stack_environment(settings, tmp_path / "var", {"BCA_RATE_LIMIT_ENABLED": "false"})
    first, second = bca_server(env), bca_server(env)
    tokens = _verified_tokens(first, tmp_path / "var" / "outbox", "roaming")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert httpx.get(f"{second.url}/v1/me", headers=headers).status_code == 200

    assert httpx.post(f"{first.url}/v1/auth/signout", headers=headers).status_code == 204
    assert httpx.get(f"{second.url}/v1/me", headers=headers).status_code == 401

    again = httpx.post(
        f"{second.url}/v1/auth/signin", json={"login": "roaming", "password": DEFAULT_PASSWORD}
    ).json()
    again_headers = {"Authorization": f"Bearer {again['access_token']}"}
    body = {"current_password": DEFAULT_PASSWORD, "new_password": "rotated password 2"}
    other = httpx.post(
        f"{first.url}/v1/auth/signin", json={"login": "roaming", "password": DEFAULT_PASSWORD}
    ).json()
    changed = httpx.post(
        f"{first.url}/v1/auth/password/change",
        headers={"Authorization": f"Bearer {other['access_token']}"},
        json=body,
    )
    assert changed.status_code == 204
    assert httpx.get(f"{second.url}/v1/me", headers=again_headers).status_code == 401
