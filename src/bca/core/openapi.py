"""The OpenAPI document tells the truth about errors: one pass over the generated document adds
the problem documents every operation can answer with, derived from what the route is made of.

A route lists only the errors its own rules raise (``core.http.problems(403, 409)``); what
follows from its shape is added here, the same way for every route:

- a security scheme (bearer token) -> 401, and 400 (a repeated ``Authorization`` header);
- any body -> 400 (a repeated ``Content-Type`` or ``Content-Length`` header);
- a path parameter -> 404 (the path names something that may not exist or not be visible);
- an ``If-Match`` header -> 412;
- any parameter or body -> 422 ``validation_error`` (with ``errors``);
- a JSON body -> 400 (bytes that are not UTF-8), 413 (over ``BCA_MAX_JSON_BYTES``);
- a multipart body (an upload) -> 413 and 415;
- a dependency on the backends (database, cache) -> 503 ``unavailable``.

Every error answer is ``application/problem+json`` with the ``Problem`` schema, unless the
route declared another media type for that status itself (the public card page's HTML 404).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from bca.core.problems import PROBLEM_CONTENT_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document; `code` is the stable, machine-readable cause.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "`/problems/<code>`"},
        "title": {"type": "string", "description": "The status's reason phrase"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "For people; may change between versions"},
        "code": {"type": "string", "description": "Stable; see the error table of API.md"},
        "errors": {
            "type": "array",
            "description": "422 `validation_error`: each invalid input and why",
            "items": {"$ref": "#/components/schemas/ProblemError"},
        },
    },
}
PROBLEM_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ProblemError",
    "type": "object",
    "required": ["loc", "msg"],
    "properties": {
        "loc": {
            "type": "array",
            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "description": "Where: `body`, `query`, `path` or `header`, then the field path",
        },
        "msg": {"type": "string"},
    },
}

PROBLEM_DESCRIPTIONS = {
    400: (
        "bad_request: the request could not be read (e.g. a body that is not UTF-8, or a"
        " repeated Content-Type, Content-Length, Transfer-Encoding, Authorization or Host header)"
    ),
    401: "unauthorized: no or a bad access token (or wrong credentials where they are checked)",
    403: "forbidden (or a more specific code: blocked, email_unverified ...)",
    404: "not_found: missing, deleted, or not visible to you",
    406: "schema_unsupported: the app reads another snapshot schema than this server writes",
    409: "conflict (or a more specific code, e.g. limit_reached)",
    410: "cursor_expired: older than the kept change log, or unknown: take a snapshot",
    412: "precondition_failed: If-Match does not match the current version",
    413: "too_large: the body is over the limit",
    415: "unsupported_media_type: this type of content is not accepted here",
    422: "validation_error: the request is not valid; `errors` says where and why",
    423: "account_locked: locked by an operator",
    429: "rate_limited: too many requests; `Retry-After` says when to try again",
    503: "unavailable: a backend service is not available; try again shortly",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}
_JSON_TYPES = {"application/json", PROBLEM_CONTENT_TYPE}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def install_problem_documents(
    app: FastAPI, *, backend_dependencies: Collection[Callable[..., Any]]
) -> None:
    """Make ``app.openapi()`` document every error answer (see the module's docstring).

    ``backend_dependencies`` are the dependency callables that reach the database or cache: a
    route that depends on one of them (at any depth) may answer 503.
    """
    generate = app.openapi
    processed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        # FastAPI caches the document and builds a new one only when the routes change.
        document = generate()
        if not any(document is seen for seen in processed):
            _document_problems(document, app, set(backend_dependencies))
            processed[:] = [document]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _document_problems(
    document: dict[str, Any], app: FastAPI, backend_dependencies: set[Callable[..., Any]]
) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ProblemError"] = PROBLEM_ERROR_SCHEMA
    # Included routers hold their routes behind contexts that carry the effective path.
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        path_item = document["paths"].get(route.path_format, {})
        uses_backends = any(
            dependant.call in backend_dependencies for dependant in _dependants(route.dependant)
        )
        for method in route.methods or ():
            operation = path_item.get(method.lower())
            if operation is not None:
                _document_operation(operation, route, uses_backends=uses_backends)


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for child in dependant.dependencies:
        yield from _dependants(child)


def _document_operation(
    operation: dict[str, Any], route: RouteContext, *, uses_backends: bool
) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    derived = _derived_statuses(operation, uses_backends=uses_backends)
    for status in derived:
        responses.setdefault(str(status), {})
    for key, response in responses.items():
        if not key.isdigit() or int(key) < 400:
            continue
        status = int(key)
        # A page renders some errors itself (HTML); what the framework answers is a problem.
        declared = route.responses.get(status, {}).get("content", {})
        content = {media: body for media, body in declared.items() if media not in _JSON_TYPES}
        if not content or status in derived or set(declared) & _JSON_TYPES:
            content[PROBLEM_CONTENT_TYPE] = {"schema": {"$ref": "#/components/schemas/Problem"}}
        response["content"] = content
        if response.get("description") in (None, "", *_generic_descriptions(status)):
            response["description"] = PROBLEM_DESCRIPTIONS.get(status, HTTPStatus(status).phrase)
        if status in (429, 503):
            response.setdefault("headers", {}).update(_RETRY_AFTER)
    operation["responses"] = dict(sorted(responses.items()))


def _generic_descriptions(status: int) -> set[str]:
    # What FastAPI writes when a route gives no description of its own.
    return {HTTPStatus(status).phrase, "Validation Error", "Additional Response"}


def _derived_statuses(operation: dict[str, Any], *, uses_backends: bool) -> set[int]:
    statuses: set[int] = set()
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody", {}).get("content", {})
    if operation.get("security"):
        statuses |= {400, 401}  # 400: a repeated Authorization header
    if body:
        statuses.add(400)  # a repeated Content-Type or Content-Length header
    if any(parameter["in"] == "path" for parameter in parameters):
        statuses.add(404)
    if any(
        parameter["in"] == "header" and parameter["name"].lower() == "if-match"
        for parameter in parameters
    ):
        statuses.add(412)
    if parameters or body:
        statuses.add(422)
    if "application/json" in body:
        statuses |= {400, 413}
    if "multipart/form-data" in body:
        statuses |= {413, 415}
    if uses_backends:
        statuses.add(503)
    return statuses
