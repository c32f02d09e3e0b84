"""A scan that takes longer than ``BCA_SCAN_TIME_LIMIT_SECONDS`` ends failed with a reason,
running the task again for a finished scan changes nothing (it is idempotent), and a scan
whose read was lost ends failed too."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from bca.backends import Backends
from bca.backends.tasks import run_task
from bca.core.time import utcnow
from bca.scans.models import Scan
from bca.scans.tasks import STALLED_MINUTES
from tests.factories.accounts import Api
from tests.factories.cards import first_profile_id, multipart
from tests.factories.chat import upload
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


async def test_scans_whose_read_was_lost_end_failed(api: Api, backends: Backends) -> None:
    """``scans.fail_stalled``: a scan pending for longer than STALLED_MINUTES lost its read
    (its worker died, its task was dropped); it ends failed instead of pending forever."""
    alice = await api.user()
    me = uuid.UUID(await first_profile_id(api, alice))
    file_id = uuid.UUID((await upload(api.client, alice))["id"])
    now = utcnow()
    async with backends.database.transaction() as session:
        lost, queued, read = (
            Scan(profile_id=me, file_id=file_id, region="KR", status=status, created_at=made)
            for status, made in (
                ("pending", now - timedelta(minutes=STALLED_MINUTES + 1)),
                ("pending", now - timedelta(minutes=STALLED_MINUTES - 1)),
                ("done", now - timedelta(days=1)),
            )
        )
        session.add_all([lost, queued, read])

    await run_task(backends, "scans.fail_stalled", {})

    def status_of(scan: Scan) -> Any:
        return api.client.get(f"/v1/scans/{scan.id}", headers=alice.headers)

    ended = (await status_of(lost)).json()
    assert ended["status"] == "failed"
    assert ended["failure"] == "Reading the card did not finish; scan it again."
    assert (await status_of(queued)).json()["status"] == "pending"
    assert (await status_of(read)).json()["status"] == "done"
