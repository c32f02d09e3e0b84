"""A real uvicorn server with embedded settings, for tests that drive a real browser.

The server runs in a thread with its own event loop (Playwright's sync API must not run inside
the test's loop), serves the app exactly as ``bca serve`` would (SQLite and local storage under a
temporary folder, backends made by the app's lifespan), and its ``public_url`` is its own address
so that share links and Open Graph URLs point at it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bca.app import create_app
from bca.core.migrations import upgrade
from bca.settings import Settings, load_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class EmbeddedServer:
    url: str
    settings: Settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def embedded_overrides() -> dict[str, Any]:
    """Override in a test module to change the server's settings."""
    return {}


@pytest.fixture
def embedded_server(tmp_path: Path, embedded_overrides: dict[str, Any]) -> Iterator[EmbeddedServer]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / "var"
    # Everything pinned to the embedded default, whatever BCA_* the shell may carry.
    values: dict[str, Any] = {
        "mode": "embedded",
        "data_dir": data_dir,
        "database_url": f"sqlite+aiosqlite:///{data_dir / 'bca.db'}",
        "redis_url": None,
        "broker_url": None,
        "aws_task_sqs_url": None,
        "storage": "local",
        "storage_path": data_dir / "storage",
        "mail_backend": "console",
        "public_url": url,
        "require_email_verification": False,
        "rate_limit_enabled": False,
        "log_json": False,
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
    }
    settings = load_settings(**(values | embedded_overrides))
    data_dir.mkdir(parents=True)
    upgrade(settings.resolved_database_url)
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-browser-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield EmbeddedServer(url=url, settings=settings)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
