"""The app's exception handlers: every error a request raises is answered as a problem
document (``bca.core.problems``), never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bca.core.errors import AppError
from bca.core.problems import problem_response

logger = logging.getLogger(__name__)

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
