"""Errors as types with stable codes, rendered as RFC 9457 problem documents."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


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


def problem_response(
    *,
    status: int,
    code: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **(extra or {}),
    }
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_CONTENT_TYPE
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


def _validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    # Only location and message: the raw input may echo secrets such as passwords.
    return [
        {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", ""))} for error in errors
    ]


async def _app_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AppError)
    return problem_response(
        status=error.status,
        code=error.code,
        detail=error.message,
        headers=error.headers,
        extra=error.extra,
    )


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return problem_response(
        status=422,
        code="validation_error",
        detail="The request is not valid.",
        extra={"errors": _validation_errors(error.errors())},
    )


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    status = error.status_code
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(status).phrase
    return problem_response(
        status=status,
        code=_HTTP_CODES.get(status, "error"),
        detail=detail,
        headers=error.headers,
    )


async def _integrity_error(_request: Request, error: Exception) -> JSONResponse:
    # Services translate the constraint races they expect into specific codes; this is the net
    # for the rest: a lost race on a unique or foreign key is the client's conflict, not a 500.
    logger.warning("integrity error answered 409: %s", str(error).splitlines()[0])
    return problem_response(
        status=409, code="conflict", detail="The request conflicts with a concurrent change."
    )


async def _unhandled_error(request: Request, error: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    logger.exception("unhandled error", extra={"request_id": request_id})
    return problem_response(
        status=500,
        code="internal_error",
        detail="Something went wrong on our side; it has been logged.",
        extra={"request_id": request_id},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    # Outages (OperationalError and the like) are answered by core.faults.BackendFaults, which
    # can run a read again; a handler here would answer them before it sees them.
    app.add_exception_handler(Exception, _unhandled_error)
