"""``bca admin users residue`` and ``bca admin users erase`` as an operator uses them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.factories.accounts import DEFAULT_PASSWORD
from tests.fixtures.servers import Server
from tests.integration.test_cli import FAST_HASHES, run


@pytest.mark.slow
def test_residue_lists_what_is_left_until_the_erasure(
    bca_server: Callable[..., Server], tmp_path: Path
) -> None:
    """Against the database and storage of a live embedded server. Four `bca` processes, a few
    seconds each."""
    server = bca_server(
        FAST_HASHES
        | {"BCA_RATE_LIMIT_ENABLED": "false", "BCA_REQUIRE_EMAIL_VERIFICATION": "false"},
        cwd=tmp_path,
    )
    http = httpx.Client(base_url=server.url, timeout=10)
    body = {"email": "ada@example.com", "username": "ada", "password": DEFAULT_PASSWORD}
    ada = http.post("/v1/auth/signup", json=body).json()["id"]

    def admin(*args: str) -> tuple[int, str]:
        done = run("admin", "users", *args, cwd=tmp_path, env=FAST_HASHES)
        return done.returncode, done.stdout + done.stderr

    code, said = admin("residue", "ada")
    assert code == 1, said
    assert said.splitlines()[0] == "ada <ada@example.com> is still in:"
    assert "  table users: 1 row" in said.splitlines()
    assert "  table profiles: 1 row" in said.splitlines()

    code, said = admin("erase", "ada")
    assert code != 0, said
    assert "reason" in said.lower(), said
    code, said = admin("erase", "ada", "--reason", "asked by mail")
    assert code == 0, said
    assert "erasure of everything of theirs under way" in said
    assert (
        http.post(
            "/v1/auth/signin", json={"login": "ada", "password": DEFAULT_PASSWORD}
        ).status_code
        == 401
    )

    code, said = admin("residue", ada)
    assert (code, said.strip()) == (
        0,
        f"nothing of user {ada} is left in any table or storage prefix",
    )
    code, said = admin("residue", "ada")
    assert code == 1
    assert "no user with username ada" in said
    http.close()
