"""RFC 9457 problem details for every failure the API can answer with."""

import logging
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from encore import errors

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; some problems carry more members",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "`/problems/{kind}`, or about:blank"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}
# Documented on every operation: whatever fails is answered this way.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "default": {
        "description": "A problem: what went wrong, in RFC 9457 problem+json",
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    }
}

STATUS_BY_ERROR: dict[type[errors.EncoreError], int] = {
    errors.InvalidInput: 422,
    errors.NotAuthenticated: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.AlreadyExists: 409,
    errors.Conflict: 409,
    errors.PreconditionFailed: 412,
    errors.TooLarge: 413,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
    errors.NotLicensed: 451,
}


def problem(
    status: int,
    *,
    kind: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A problem+json response. `kind` becomes the type URI `/problems/{kind}`."""
    body: dict[str, Any] = {
        "type": f"/problems/{kind}" if kind else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def status_of(error: errors.EncoreError) -> int:
    return status_for(type(error))


def status_for(error: type[errors.EncoreError]) -> int:
    """The HTTP status of a kind of domain error (its nearest mapped base's; else 400)."""
    for cls in error.__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


async def _encore_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, errors.EncoreError)
    return error_problem(error, instance=request.url.path)


def error_problem(error: errors.EncoreError, *, instance: str) -> Response:
    """The problem+json answer to a domain error, with its headers (`Retry-After`, ...)."""
    status = status_of(error)
    headers = {}
    if isinstance(error, errors.RateLimited | errors.Unavailable):
        headers["Retry-After"] = str(error.retry_after_s)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="encore"'
    return problem(
        status,
        kind=error.kind,
        title=error.title,
        detail=error.detail,
        instance=instance,
        headers=headers,
        **error.extensions,
    )


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    issues = [
        {
            "location": [str(part) for part in item.get("loc", ())],
            "message": item.get("msg", ""),
            "type": item.get("type", ""),
        }
        for item in error.errors()
    ]
    if any(issue["type"] == "json_invalid" for issue in issues):
        return problem(
            400,
            kind="malformed-body",
            title="Malformed request body",
            detail="The body is not valid JSON",
            instance=request.url.path,
        )
    return problem(
        422,
        kind="validation",
        title="Invalid request",
        detail="; ".join(f"{'.'.join(i['location'])}: {i['message']}" for i in issues[:5]),
        instance=request.url.path,
        errors=issues,
    )


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail if error.detail != HTTPStatus(error.status_code).phrase else None
    return problem(
        error.status_code,
        detail=detail,
        instance=request.url.path,
        headers=dict(error.headers or {}),
    )


async def _unexpected_error(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(
        500,
        kind="internal",
        title="Internal Server Error",
        detail="Something went wrong on our side; it has been logged",
        instance=request.url.path,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.EncoreError, _encore_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
