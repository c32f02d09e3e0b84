"""Background work: the Celery worker (``bca worker``) and the AWS Lambda handler."""

from __future__ import annotations

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point (``bca.worker.lambda_handler``); see ``aws_lambda.py``."""
    from bca.worker.aws_lambda import lambda_handler as handle

    return handle(event, context)


__all__ = ["lambda_handler"]
