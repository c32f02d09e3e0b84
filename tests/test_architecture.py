"""Imports run one way (entry points -> domains -> sync, accounts -> backends -> core), with no
cycles between packages, and the realtime hub and chat never import each other: the
import-linter contracts in pyproject.toml, checked over the package's real imports.

And no module is imported for its side effects: every imported name is used by the module
that imports it (a name only listed in ``__all__`` does not count), domains take part only
through their manifest (``bca/<domain>/manifest.py``, listed in ``bca.domains.DOMAINS``), and
only manifests put things in slots (``.plug(...)``)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from bca.domains import DOMAINS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "bca"


def _modules() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "versions" not in path.relative_to(PACKAGE).parts
    ]


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def unused_imports(source: str) -> list[str]:
    """The imports of ``source`` whose bound name the module never uses (``import a.b`` counts
    as used only where ``a.b...`` is)."""
    tree = ast.parse(source)
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    chains = {
        dotted
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and (dotted := _dotted(node)) is not None
    }
    unused = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname is not None:
                    used = alias.asname in names
                else:
                    used = any(c == alias.name or c.startswith(alias.name + ".") for c in chains)
                if not used:
                    unused.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for alias in node.names:
                if (alias.asname or alias.name) not in names:
                    unused.append(f"line {node.lineno}: from {node.module} import {alias.name}")
    return unused


def _calls_plug(source: str) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "plug"
        for node in ast.walk(ast.parse(source))
    )


def test_the_unused_import_check_sees_side_effect_imports() -> None:
    assert unused_imports("import bca.registry  # noqa: F401\nbca.app = 1\n") == [
        "line 1: import bca.registry"
    ]
    registry = "from bca.cards import sync as cards_sync\n__all__ = ['cards_sync']\n"
    assert unused_imports(registry) == ["line 1: from bca.cards import sync"]
    assert unused_imports("from bca import x\nimport a.b\nx(a.b.c)\n") == []


def test_no_module_is_imported_for_its_side_effects() -> None:
    found = {
        str(path.relative_to(PACKAGE)): unused
        for path in _modules()
        if (unused := unused_imports(path.read_text()))
    }
    assert found == {}
    noqa = [str(path) for path in _modules() if "noqa: F401" in path.read_text()]
    assert noqa == []


def test_every_domain_takes_part_through_its_listed_manifest() -> None:
    manifests = {path.parent.name for path in PACKAGE.glob("*/manifest.py")}
    assert manifests == {domain.name for domain in DOMAINS}
    plugging = {
        str(path.relative_to(PACKAGE))
        for path in _modules()
        if path.name != "manifest.py" and _calls_plug(path.read_text())
    }
    assert plugging == set()


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
