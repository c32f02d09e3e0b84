"""Imports run one way (entry points -> domains -> sync, accounts -> backends -> core), with no
cycles between packages, and the realtime hub and chat never import each other: the
import-linter contracts in pyproject.toml, checked over the package's real imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_imports_keep_the_contracts() -> None:
    # In a process of its own: import-linter reconfigures logging, which would silence the
    # log records later tests of this session look for.
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
