"""Imports run one way (entry points -> domains -> sync, accounts -> backends -> core), with no
cycles between packages, and the realtime hub and chat never import each other: the
import-linter contracts in pyproject.toml, checked over the package's real imports."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_imports_keep_the_contracts() -> None:
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0
