"""`bca admin users ...` takes the admin actions' table's actions and leaves the same audit
record as the console: who (``shell:<login>``), what, on which account, and why."""

from __future__ import annotations

import getpass
import json
import sqlite3
from pathlib import Path

import pytest

from bca.admin.actions import ACTIONS
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.integration.test_cli import FAST_HASHES, run


def _audit(tmp_path: Path) -> list[tuple[str, str | None, str, str, str, dict[str, object]]]:
    with sqlite3.connect(tmp_path / "var" / "bca.db") as database:
        rows = database.execute(
            "SELECT actor, actor_id, action, target_type, target_id, details"
            " FROM admin_audit ORDER BY created_at"
        ).fetchall()
    return [(*row[:5], json.loads(row[5])) for row in rows]


@pytest.mark.timeout(600)
def test_every_shell_action_writes_its_audit_record(tmp_path: Path) -> None:
    created = run(
        "admin",
        "create-user",
        "--email",
        "ann@example.com",
        "--username",
        "ann",
        "--password-stdin",
        cwd=tmp_path,
        env=FAST_HASHES,
        stdin=f"{DEFAULT_PASSWORD}\n",
    )
    assert created.returncode == 0, created.stderr
    ann = created.stdout.split()[2]

    def admin(*args: str) -> str:
        result = run("admin", "users", *args, cwd=tmp_path, env=FAST_HASHES)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert admin("lock", "ann") == "ann <ann@example.com> locked; signed out on every device"
    assert admin("lock", "ann") == "ann <ann@example.com> was already locked"  # no record
    assert admin("deactivate", "ann@example.com", "--reason", "spam") == (
        "ann <ann@example.com> deactivated: signed out, profiles hidden from everyone"
    )
    assert admin("revoke-sessions", ann) == "ann <ann@example.com>: 0 sessions revoked"

    actor = f"shell:{getpass.getuser()}"
    assert _audit(tmp_path) == [
        (actor, None, "user.lock", "user", ann, {}),
        (actor, None, "user.deactivate", "user", ann, {"reason": "spam"}),
        (actor, None, "user.revoke-sessions", "user", ann, {"sessions_revoked": 0}),
    ]


def test_the_shell_offers_the_user_actions_of_the_one_table(tmp_path: Path) -> None:
    help_text = run("admin", "users", "--help", cwd=tmp_path).stdout
    offered = [action for action in ACTIONS if action.shell is not None]
    assert {action.target_type for action in offered} == {"user"}
    for action in offered:
        assert f" {action.name} " in help_text
