"""The AWS Lambda handler runs the tasks Celery put on SQS, reporting partial batch failures."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import httpx
import pytest

import bca.worker.aws_lambda as lambda_module
from bca.backends import Backends
from bca.settings import Settings
from bca.worker import lambda_handler
from bca.worker.aws_lambda import decode_task
from tests.factories.accounts import Api, token_from_text
from tests.fixtures.moto import MOTO_REGION, create_queue, moto_client, sqs_task_settings


@pytest.fixture
def stack() -> str:
    return "postgres"


@pytest.fixture
def sqs_queue(moto_endpoint: str) -> str:
    return create_queue(moto_endpoint, "bca-lambda")


@pytest.fixture
def settings_overrides(moto_endpoint: str, sqs_queue: str) -> dict[str, Any]:
    return sqs_task_settings(moto_endpoint, sqs_queue) | {"sync_snapshot_debounce_seconds": 0}


@pytest.fixture
def lambda_environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The function's configuration, as its environment variables."""
    from tests.fixtures.worker import worker_env

    for key, value in worker_env(settings).items():
        if key.startswith(("BCA_", "AWS_")):
            monkeypatch.setenv(key, value)
    monkeypatch.setattr(lambda_module, "_runtime", None)


def receive_event(endpoint: str, queue_url: str, *, wanted: int) -> dict[str, Any]:
    """What AWS hands a Lambda function with an SQS trigger."""
    sqs = moto_client(endpoint, "sqs")
    records: list[dict[str, Any]] = []
    for _ in range(20):
        answer = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
        )
        for message in answer.get("Messages", []):
            records.append(
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": message.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": message["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bca",
                    "awsRegion": MOTO_REGION,
                }
            )
        if len(records) >= wanted:
            break
    return {"Records": records}


async def test_lambda_runs_tasks_received_from_sqs(
    api: Api,
    client: httpx.AsyncClient,
    backends: Backends,
    settings: Settings,
    moto_endpoint: str,
    sqs_queue: str,
    lambda_environment: None,
) -> None:
    signup = await api.signup()
    assert signup.status_code == 201
    email = signup.json()["email"]
    event = receive_event(moto_endpoint, sqs_queue, wanted=1)
    assert len(event["Records"]) == 1
    name, kwargs = decode_task(event["Records"][0]["body"])
    assert name == "accounts.send_email"
    assert kwargs["to"] == email

    # A record whose task fails is reported; a good one next to it is not.
    broken = dict(
        event["Records"][0], messageId="broken-1", body=_celery_body("accounts.send_email", {})
    )
    result = await asyncio.to_thread(lambda_handler, {"Records": [*event["Records"], broken]}, None)

    assert result == {"batchItemFailures": [{"itemIdentifier": "broken-1"}]}
    token = token_from_text((await api.outbox_texts(email))[-1], "verify")
    assert (await client.post("/v1/auth/email/verify", json={"token": token})).status_code == 204

    # Garbage is dropped (logged), not retried forever.
    junk = {"Records": [{"messageId": "junk", "body": "not a task"}]}
    assert await asyncio.to_thread(lambda_handler, junk, None) == {"batchItemFailures": []}


def _celery_body(task: str, kwargs: dict[str, Any]) -> str:
    """An SQS body in kombu's format, as Celery would put it on the queue."""
    payload = base64.b64encode(json.dumps([[], kwargs, {}]).encode()).decode()
    envelope = {
        "body": payload,
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {"task": task, "id": str(uuid.uuid4()), "lang": "py"},
        "properties": {"body_encoding": "base64", "delivery_tag": str(uuid.uuid4())},
    }
    return base64.b64encode(json.dumps(envelope).encode()).decode()
