"""``/readyz`` says why (issue 22, items 15 and 16): an S3 bucket nobody created is ``down``
with the reason in the body and one log line that names the fix, ``bca storage init`` creates
it; a machine without Tesseract is ``degraded`` (200, not down) and says so at start-up."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytesseract
import pytest
from typer.testing import CliRunner

from bca.cli import app as cli
from bca.cli.common import warn_if_scans_cannot_run
from bca.scans.reading import ocr_problem
from tests.factories.accounts import Api
from tests.fixtures.moto import MOTO_ACCESS_KEY_ID, MOTO_REGION, MOTO_SECRET_ACCESS_KEY, moto_client


@pytest.fixture
def bucket() -> str:
    return f"bca-missing-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    if "bucket" not in request.fixturenames:
        return {}
    return {
        "storage": "s3",
        "aws_s3_bucket_name": request.getfixturevalue("bucket"),
        "aws_endpoint_url": request.getfixturevalue("moto_endpoint"),
        "aws_region": MOTO_REGION,
        "aws_access_key_id": MOTO_ACCESS_KEY_ID,
        "aws_secret_access_key": MOTO_SECRET_ACCESS_KEY,
    }


async def test_a_missing_bucket_is_named_and_bca_storage_init_creates_it(
    api: Api, bucket: str, moto_endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bca.backends"):
        for _ in range(3):
            ready = await api.client.get("/readyz")
            assert ready.status_code == 503
            body = ready.json()
            assert body["checks"]["storage"] == "down"
            assert body["reasons"] == {"storage": "bucket_missing"}
    lines = [r.getMessage() for r in caplog.records if "storage is down" in r.getMessage()]
    assert len(lines) == 1, "one line when it goes down, not one per poll"
    assert bucket in lines[0]
    assert "bca storage init" in lines[0]

    env = {
        "BCA_DATA_DIR": str(api.backends.settings.data_dir),
        "AWS_S3_BUCKET_NAME": bucket,
        "BCA_AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_REGION": MOTO_REGION,
        "AWS_ACCESS_KEY_ID": MOTO_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": MOTO_SECRET_ACCESS_KEY,
    }
    # The command runs its own event loop: in a thread of its own, as from a shell.
    created = await asyncio.to_thread(CliRunner().invoke, cli, ["storage", "init"], env=env)
    assert created.exit_code == 0, created.output
    assert f"S3 bucket {bucket!r} created" in created.output
    moto_client(moto_endpoint, "s3").head_bucket(Bucket=bucket)
    again = await asyncio.to_thread(CliRunner().invoke, cli, ["storage", "init"], env=env)
    assert again.exit_code == 0, again.output
    assert "exists already" in again.output

    ready = await api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["storage"] == "ok"
    assert "reasons" not in ready.json() or "storage" not in ready.json()["reasons"]


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    ocr_problem.cache_clear()
    yield
    ocr_problem.cache_clear()


async def test_a_server_without_tesseract_is_degraded_not_down(
    api: Api, no_tesseract: None, caplog: pytest.LogCaptureFixture
) -> None:
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "degraded"
    assert body["checks"]["scans"] == "degraded"
    assert body["reasons"] == {"scans": "ocr_unavailable"}
    assert {body["checks"][name] for name in ("database", "cache", "storage", "broker")} == {"ok"}
    with caplog.at_level(logging.WARNING, logger="bca"):
        assert warn_if_scans_cannot_run() is False
    assert "tesseract is not installed" in caplog.text


async def test_a_server_with_tesseract_reports_scans_ok(api: Api) -> None:
    ocr_problem.cache_clear()
    body = (await api.client.get("/readyz")).json()
    assert body == {
        "status": "ok",
        "checks": {name: "ok" for name in ("database", "cache", "storage", "broker", "scans")},
    }
