"""Errors of Web Push subscriptions."""

from __future__ import annotations

from bca.core.errors import AppError, NotFound


class InvalidSubscription(AppError):
    """An endpoint this server will not send to, or keys that are not a browser's."""

    status = 422
    code = "validation_error"
    detail = "The request is not valid."

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, extra={"errors": [{"loc": ["body", field], "msg": message}]})


class WebPushOff(NotFound):
    code = "web_push_off"
    detail = "Web Push is not configured on this server."
