"""AWS Lambda entry: run the tasks Celery put on SQS, as the original deployment did.

Configure the function with an SQS event source on the task queue (``AWS_TASK_SQS_URL``) and
"report batch item failures"; only the records that failed come back, after the queue's
visibility timeout. The container keeps one loop and one ``Backends`` across invocations.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

from kombu.utils.json import loads as kombu_loads

from bca.backends.tasks import TASKS
from bca.domains import assemble
from bca.settings import load_settings
from bca.wiring import create_backends
from bca.worker.runtime import WorkerRuntime

logger = logging.getLogger(__name__)

_runtime: WorkerRuntime | None = None


class BadMessage(ValueError):
    """A record that is not a Celery task message; retrying it cannot help."""


def _maybe_base64(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return text


def decode_task(body: str) -> tuple[str, dict[str, Any]]:
    """(task name, kwargs) of an SQS message body written by kombu for Celery.

    kombu's SQS transport puts a base64-encoded JSON envelope on the queue: ``headers.task``
    names the task and ``body`` is the base64 of the task message (protocol 2:
    ``[args, kwargs, embed]``), encoded with kombu's JSON (which restores UUIDs and dates).
    """
    try:
        envelope = json.loads(_maybe_base64(body))
        headers = envelope.get("headers") or {}
        name = headers["task"]
        payload = envelope["body"]
        if (envelope.get("properties") or {}).get("body_encoding") == "base64":
            payload = base64.b64decode(payload).decode()
        args, kwargs, _embed = kombu_loads(payload)  # type: ignore[no-untyped-call]  # kombu has no hints
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BadMessage(f"not a Celery task message: {error}") from None
    if not isinstance(name, str) or not isinstance(kwargs, dict):
        raise BadMessage("not a Celery task message")
    if args:
        raise BadMessage(f"task {name} got positional arguments; tasks take keywords only")
    return name, kwargs


def _get_runtime() -> WorkerRuntime:
    global _runtime
    if _runtime is None:
        assemble()  # the tasks come from the domains' manifests (again in create_backends)
        _runtime = WorkerRuntime(load_settings(), create_backends)
    return _runtime


def handle_records(runtime: WorkerRuntime, records: list[dict[str, Any]]) -> dict[str, Any]:
    failures = []
    for record in records:
        message_id = record.get("messageId", "")
        try:
            name, kwargs = decode_task(str(record.get("body", "")))
            if name not in TASKS:
                raise BadMessage(f"unknown task {name}")
        except BadMessage:
            # Another delivery cannot fix it: dropped (acknowledged) with a log line.
            logger.exception("task record %s dropped", message_id)
            continue
        try:
            runtime.run(name, kwargs)
        except Exception:
            logger.exception("task record %s failed", message_id)
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run every record's task; report the failed ones so that only they are retried."""
    return handle_records(_get_runtime(), list(event.get("Records") or []))
