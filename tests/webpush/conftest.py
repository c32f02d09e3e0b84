from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bca.backends import Backends
from bca.backends.tasks import InProcessTaskQueue
from tests.webpush.stand_in import PushService, running_push_service


@pytest.fixture
def push_service() -> Iterator[PushService]:
    with running_push_service() as service:
        yield service


@pytest.fixture
def settings_overrides(push_service: PushService) -> dict[str, Any]:
    return {"web_push_test_origins": push_service.url}


@pytest.fixture
def quick_retries(backends: Backends) -> None:
    """The in-process task layer's backoff, shortened (its shape is the same)."""
    assert isinstance(backends.tasks, InProcessTaskQueue)
    backends.tasks.base_delay = 0.01
