"""The ``bca`` command as an operator uses it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bca import __version__
from tests.fixtures.servers import BCA, clean_environment


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
    assert run("db", "upgrade", cwd=tmp_path).returncode == 0
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
