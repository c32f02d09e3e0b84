"""A scan that takes longer than ``BCA_SCAN_TIME_LIMIT_SECONDS`` ends failed with a reason,
and running the task again for a finished scan changes nothing (it is idempotent)."""

from __future__ import annotations

from typing import Any

import pytest

from bca.backends import Backends
from bca.backends.tasks import run_task
from tests.factories.accounts import Api
from tests.factories.cards import first_profile_id, multipart
from tests.scans.cardset import generate


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"scan_time_limit_seconds": 0.05}


async def test_too_slow_ends_failed_and_a_rerun_changes_nothing(
    api: Api, backends: Backends
) -> None:
    alice = await api.user()
    me = await first_profile_id(api, alice)
    card = next(generate(1))
    created = await api.client.post(
        f"/v1/profiles/{me}/scans", files=multipart(card.image), headers=alice.headers
    )
    assert created.status_code == 202, created.text
    scan_id = created.json()["id"]
    await backends.tasks.drain()
    scan = (await api.client.get(f"/v1/scans/{scan_id}", headers=alice.headers)).json()
    assert scan["status"] == "failed", scan
    assert scan["failure"] == "Reading the card took longer than 0.05 s."

    await run_task(backends, "scans.read_card", {"scan_id": scan_id})
    again = (await api.client.get(f"/v1/scans/{scan_id}", headers=alice.headers)).json()
    assert again == scan
