"""The ``bca`` command as an operator uses it."""

from __future__ import annotations

import socket
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bca import __version__
from bca.accounts.schemas import USERNAME_PATTERN
from bca.core.migrations import pending_revisions
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.fixtures.servers import BCA, Server, clean_environment
from tests.integration.test_instances import _mail_to

FAST_HASHES = {"BCA_PASSWORD_HASH_TIME_COST": "1", "BCA_PASSWORD_HASH_MEMORY_KIB": "1024"}


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BCA, *args],
        cwd=cwd,
        env=clean_environment(env or {}),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version_and_help(tmp_path: Path) -> None:
    assert run("--version", cwd=tmp_path).stdout.strip() == f"bca {__version__}"
    for command in ([], ["serve"], ["db"], ["admin", "create-user"]):
        result = run(*command, "--help", cwd=tmp_path)
        assert result.returncode == 0
        assert "Usage" in result.stdout


def test_help_is_printed_as_written(tmp_path: Path) -> None:
    """No markup eats brackets, flags carry no "<bool>", every pool is named."""

    def help_text(*command: str) -> str:
        return " ".join(run(*command, "--help", cwd=tmp_path).stdout.split())

    create_user = help_text("admin", "create-user")
    assert USERNAME_PATTERN in create_user
    worker = help_text("worker")
    assert "prefork (processes), threads, or solo" in worker
    users = help_text("admin", "users")
    for command in ("list", "verify", "lock", "unlock", "promote", "demote", "deactivate"):
        assert f" {command} " in users
    assert "revoke-sessions" in users
    for text in (create_user, worker, users):
        assert "<bool>" not in text


def test_serve_without_public_url_links_to_its_own_port(
    bca_server: Callable[..., Server], tmp_path: Path
) -> None:
    server = bca_server(
        {"BCA_REQUIRE_EMAIL_VERIFICATION": "false", "BCA_RATE_LIMIT_ENABLED": "false"},
        cwd=tmp_path,
    )
    port = server.url.rsplit(":", 1)[1]
    first_line = server.log().splitlines()[0]
    assert first_line == f"B.Ca API docs: http://127.0.0.1:{port}/docs"
    with httpx.Client(base_url=server.url) as http:
        body = {"email": "ada@example.com", "username": "ada", "password": DEFAULT_PASSWORD}
        assert http.post("/v1/auth/signup", json=body).status_code == 201
        signin = http.post("/v1/auth/signin", json={"login": "ada", "password": DEFAULT_PASSWORD})
        headers = {"Authorization": f"Bearer {signin.json()['access_token']}"}
        me = http.get("/v1/profiles", headers=headers).json()["items"][0]["id"]
        card = http.post(f"/v1/profiles/{me}/cards", json={"name": "Desk"}, headers=headers)
        shared = http.post(f"/v1/cards/{card.json()['id']}/share", headers=headers).json()
        assert shared["url"] == f"http://127.0.0.1:{port}/c/{shared['token']}"
        assert http.get(shared["url"]).status_code == 200
    assert f"http://127.0.0.1:{port}/verify-email?token=" in _mail_to(
        tmp_path / "var" / "outbox", "ada@example.com"
    )


def test_serve_on_a_taken_port_says_so_and_how_to_choose_another(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert f"make run PORT={port + 1}" in result.stderr


def test_bad_configuration_stops_with_one_line(tmp_path: Path) -> None:
    result = run("serve", cwd=tmp_path, env={"BCA_MAX_UPLOAD_BYTES": "lots"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "BCA_MAX_UPLOAD_BYTES" in lines[0]


def test_db_upgrade_current_and_create_admin(tmp_path: Path) -> None:
    empty = run("db", "current", cwd=tmp_path)
    assert empty.returncode == 0
    assert empty.stdout.startswith("empty")
    upgraded = run("db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0
    steps = len(pending_revisions("sqlite+aiosqlite:///" + str(tmp_path / "nothing.db")))
    progress = upgraded.stderr.splitlines()
    assert progress[0] == f"applying migrations: 0/{steps}"
    assert progress[-1] == f"applying migrations: {steps}/{steps}"
    assert f"({steps} migrations applied)" in upgraded.stdout
    assert "up to date" in run("db", "upgrade", cwd=tmp_path).stdout
    current = run("db", "current", cwd=tmp_path)
    assert "up to date" in current.stdout

    created = run(
        "admin",
        "create-user",
        "--email",
        "root@example.com",
        "--username",
        "root_admin",
        "--admin",
        "--password-stdin",
        cwd=tmp_path,
        stdin="a long admin password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "(admin)" in created.stdout
    duplicate = run(
        "admin",
        "create-user",
        "--email",
        "root@example.com",
        "--username",
        "other_admin",
        "--password-stdin",
        cwd=tmp_path,
        stdin="a long admin password\n",
    )
    assert duplicate.returncode == 1
    assert "email" in duplicate.stderr.lower()
    weak = run(
        "admin",
        "create-user",
        "--email",
        "x@example.com",
        "--username",
        "xx",
        "--password-stdin",
        cwd=tmp_path,
        stdin="short\n",
    )
    assert weak.returncode == 1
    assert "username" in weak.stderr


def test_serve_refuses_several_workers_without_redis(tmp_path: Path) -> None:
    result = run("serve", "--workers", "2", cwd=tmp_path)
    assert result.returncode == 2
    assert "BCA_REDIS_URL" in result.stderr


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_admin_users_commands_act_on_a_running_server(
    bca_server: Callable[..., Server], tmp_path: Path
) -> None:
    """Every `bca admin users` command against the database of a live embedded server.

    Fourteen `bca` processes, a few seconds each (imports, migration check): about 40 s on a
    quiet machine of this kind, two minutes when it is busy."""
    server = bca_server(FAST_HASHES | {"BCA_RATE_LIMIT_ENABLED": "false"}, cwd=tmp_path)
    http = httpx.Client(base_url=server.url, timeout=10)
    credentials = {"login": "grace", "password": DEFAULT_PASSWORD}

    def admin(*args: str) -> subprocess.CompletedProcess[str]:
        return run("admin", "users", *args, cwd=tmp_path, env=FAST_HASHES)

    def signin() -> httpx.Response:
        return http.post("/v1/auth/signin", json=credentials)

    def me(token: str) -> int:
        return http.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code

    body = {"email": "grace@example.com", "username": "grace", "password": DEFAULT_PASSWORD}
    grace_id = http.post("/v1/auth/signup", json=body).json()["id"]
    assert signin().status_code == 403, "unverified"

    verified = admin("verify", "grace")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == "grace <grace@example.com>: address marked verified"
    token = signin().json()["access_token"]

    listed = admin("list", "--query", "grac")
    assert listed.returncode == 0
    [header, row] = listed.stdout.strip().splitlines()
    assert header.split() == ["ID", "EMAIL", "USERNAME", "ROLE", "STATE", "CREATED"]
    assert row.split()[:5] == [grace_id, "grace@example.com", "grace", "user", "active"]

    locked = admin("lock", "grace@example.com")
    assert locked.returncode == 0
    assert "locked; signed out on every device" in locked.stdout
    assert me(token) == 401, "locking ends the sessions at once"
    assert signin().status_code == 423
    assert "already locked" in admin("lock", "grace").stdout
    assert admin("unlock", grace_id).returncode == 0
    token = signin().json()["access_token"]

    assert "now has the role admin" in admin("promote", "grace").stdout
    admin_list = http.get("/v1/admin/users", headers={"Authorization": f"Bearer {token}"})
    assert admin_list.status_code == 200
    assert "now has the role user" in admin("demote", "grace").stdout
    admin_list = http.get("/v1/admin/users", headers={"Authorization": f"Bearer {token}"})
    assert admin_list.status_code == 404

    revoked = admin("revoke-sessions", "grace")
    assert revoked.stdout.strip() == "grace <grace@example.com>: 1 session revoked"
    assert me(token) == 401

    assert "deactivated" in admin("deactivate", "grace").stdout
    assert signin().status_code == 401
    assert "deactivated" in admin("list").stdout
    assert "restored" in admin("restore", "grace").stdout
    assert signin().status_code == 200

    for args, message in (
        (("lock", "nobody"), "bca: no user with username nobody"),
        (("verify", "ghost@example.com"), "bca: no user with email ghost@example.com"),
        (("deactivate", str(uuid.UUID(int=7))), f"bca: no user with id {uuid.UUID(int=7)}"),
    ):
        unknown = admin(*args)
        assert unknown.returncode == 1
        assert unknown.stderr.strip() == message
        assert unknown.stdout == ""
    http.close()


@pytest.mark.timeout(600)
def test_sync_rebuild_reports_progress_and_unknown_users(tmp_path: Path) -> None:
    for name in ("ann", "bob", "cyd"):
        created = run(
            "admin",
            "create-user",
            "--email",
            f"{name}@example.com",
            "--username",
            name,
            "--password-stdin",
            cwd=tmp_path,
            env=FAST_HASHES,
            stdin=f"{DEFAULT_PASSWORD}\n",
        )
        assert created.returncode == 0, created.stderr
    rebuilt = run("sync", "rebuild", "--all", cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.strip() == "3 of 3 snapshots rebuilt"
    assert rebuilt.stderr.splitlines() == [f"rebuilding snapshots: {n}/3" for n in range(4)]
    assert len(list((tmp_path / "var" / "storage").rglob("*"))) >= 3

    one = run("sync", "rebuild", "bob", cwd=tmp_path)
    assert one.stdout.strip() == "1 of 1 snapshots rebuilt"
    unknown = run("sync", "rebuild", str(uuid.UUID(int=1)), cwd=tmp_path)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == f"bca: no user with id {uuid.UUID(int=1)}"
    assert run("sync", "rebuild", cwd=tmp_path).returncode == 2

    compacted = run("sync", "compact", cwd=tmp_path)
    assert compacted.returncode == 0
    assert compacted.stderr.splitlines() == [
        "compacting change logs...",
        "compacting change logs: done",
    ]
