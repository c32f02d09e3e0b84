"""The Makefile's web app steps and the system-package check of ``make test``, dry-run in a copy:
``npm ci`` only when node_modules is missing or older than the lock, the build only when
web/dist is missing or older than a source, one line when Node.js is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def dry_run(folder: Path, *targets: str, **variables: str) -> str:
    assignments = [f"{name}={value}" for name, value in variables.items()]
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-C", str(folder), *targets, *assignments],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def touch(path: Path, at: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path, (at, at))


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    web = tmp_path / "web"
    for name in ("package.json", "package-lock.json", "index.html", "vite.config.ts"):
        touch(web / name, 1000)
    touch(web / "src" / "main.tsx", 1000)
    touch(web / "public" / "icons" / "icon-192.png", 1000)
    touch(web / "node_modules" / ".package-lock.json", 2000)
    touch(web / "dist" / "index.html", 3000)
    return tmp_path


def test_an_up_to_date_build_is_left_alone(checkout: Path) -> None:
    assert "npm" not in dry_run(checkout, "web")


@pytest.mark.parametrize(
    "source", ["src/main.tsx", "public/icons/icon-192.png", "index.html", "vite.config.ts"]
)
def test_a_newer_source_rebuilds(checkout: Path, source: str) -> None:
    touch(checkout / "web" / source, 4000)
    commands = dry_run(checkout, "web")
    assert "npm run build" in commands
    assert "npm ci" not in commands


def test_a_missing_build_is_built(checkout: Path) -> None:
    (checkout / "web" / "dist" / "index.html").unlink()
    assert "npm run build" in dry_run(checkout, "web")


def test_a_newer_lock_installs_again_then_builds(checkout: Path) -> None:
    touch(checkout / "web" / "package-lock.json", 2500)
    commands = dry_run(checkout, "web").splitlines()
    install = commands.index("cd web && npm ci --no-audit --no-fund")
    assert commands.index("cd web && npm run build") > install


def test_tests_and_built_files_are_not_sources(checkout: Path) -> None:
    touch(checkout / "web" / "tests" / "unit" / "api.test.ts", 4000)
    touch(checkout / "web" / "dist" / "assets" / "index-Ab12Cd34.js", 4000)
    assert "npm" not in dry_run(checkout, "web")


def test_without_node_run_says_so_in_one_line(checkout: Path) -> None:
    lines = dry_run(checkout, "web-or-hint", HAVE_NPM="").splitlines()
    assert len(lines) == 1
    assert "No Node.js/npm on PATH" in lines[0]
    (checkout / "web" / "dist" / "index.html").unlink()
    assert "npm run build" in dry_run(checkout, "web-or-hint", HAVE_NPM="/usr/bin/npm")


def test_make_test_checks_the_system_then_the_app_then_runs_pytest(checkout: Path) -> None:
    for name in ("pyproject.toml", "uv.lock"):
        touch(checkout / name, 1000)
    touch(checkout / ".venv" / ".installed", 2000)
    commands = dry_run(checkout, "test", UV="/bin/true").splitlines()
    order = [
        next(i for i, line in enumerate(commands) if marker in line)
        for marker in (
            "pre-commit run",
            ".ci/system-packages",
            "npm run typecheck && npm run lint && npm test && npm run build",
            "bin/pytest",
        )
    ]
    assert order == sorted(order)


def test_the_system_check_names_what_is_missing_in_one_line(tmp_path: Path) -> None:
    """A PATH with neither Chromium nor Node.js (nor Tesseract)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "grep", "id", "env", "cat"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    result = subprocess.run(
        [str(ROOT / ".ci" / "system-packages")],
        env={"PATH": str(bin_dir), "CI": "false"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for package in ("chromium", "tesseract-ocr", "tesseract-ocr-kor", "nodejs", "npm"):
        assert f" {package}" in lines[0]
