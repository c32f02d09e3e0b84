"""Errors as types with stable codes (``bca.core.problems`` renders them as RFC 9457 problem
documents). Nothing here imports the web framework: services, commands and workers raise these."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar


class AppError(Exception):
    """Base of every error a service raises on purpose; subclasses fix status and code."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    detail: ClassVar[str | None] = None
    # Keep the transaction's writes although the request fails (see core.dependencies).
    commit_anyway: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = detail or self.detail or HTTPStatus(self.status).phrase
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(self.message)


class NotFound(AppError):
    status = 404
    code = "not_found"
    detail = "The resource does not exist or is not visible to you."


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    detail = "You may see this resource but not change it."


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    detail = "Authentication is required."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="B.Ca"'})


class Conflict(AppError):
    status = 409
    code = "conflict"
    detail = "The request conflicts with the current state."


class PreconditionFailed(AppError):
    status = 412
    code = "precondition_failed"
    detail = "The resource changed since you read it (If-Match does not match)."


class TooLarge(AppError):
    status = 413
    code = "too_large"
    detail = "The upload is larger than allowed."


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    detail = "This type of content is not accepted here."


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    detail = "Too many requests; try again later."

    def __init__(self, retry_after: int) -> None:
        super().__init__(headers={"Retry-After": str(max(1, retry_after))})


class Unavailable(AppError):
    status = 503
    code = "unavailable"
    detail = "A backend service is not available."
