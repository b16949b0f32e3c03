"""Exception handlers: every failure leaves as the error JSON of DESIGN.md, never a trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Scope

from apiinone.api.envelope import FastJSON
from apiinone.errors import (
    APIError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServerError,
)

__all__ = ["error_response", "install_error_handlers", "request_id_of", "unexpected_response"]

log = logging.getLogger("apiinone.errors")


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def error_response(error: APIError) -> FastJSON:
    return FastJSON(error.body(), status_code=error.status, headers=error.headers or None)


def _param_of(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    if not parts:
        return None
    out = parts[0]
    for part in parts[1:]:
        out += f"[{part}]" if part.isdigit() else f".{part}"
    return out


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    loc = tuple(first.get("loc", ()))
    param = _param_of(loc)
    kind = first.get("type", "")
    if kind == "json_invalid":
        return error_response(InvalidRequest("The request body is not valid JSON"))
    message = str(first.get("msg", "Invalid request"))
    if kind == "missing":
        message = "Field required"
    text = f"'{param}': {message}" if param else message
    return error_response(InvalidRequest(text, param=param))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error: APIError
    if isinstance(exc.__cause__, APIError):
        # FastAPI reports any failure while it reads a body as "error parsing the body"; one
        # of the body's limits (size, arrival time, JSON nesting) says what it was.
        return error_response(exc.__cause__)
    if exc.status_code == 404:
        error = NotFound(f"No route for {request.method} {request.url.path}")
    elif exc.status_code == 405:
        error = MethodNotAllowed(
            f"Method {request.method} is not allowed on {request.url.path}",
            headers=dict(exc.headers or {}),
        )
    elif exc.status_code == 413:
        error = PayloadTooLarge("The request body is too large")
    elif exc.status_code == 400:
        error = InvalidRequest(str(exc.detail))
    else:
        error = APIError(str(exc.detail))
        error.status = exc.status_code  # type: ignore[misc]
    return error_response(error)


def unexpected_response(scope: Scope, exc: BaseException) -> FastJSON:
    """A 500 in the error JSON for an exception nothing else handled, logged with its
    trace and the request id (the client sees only the id)."""
    request_id = str(scope.get("state", {}).get("request_id", "-"))
    if isinstance(exc, ClientDisconnect):
        # Not an error: the client closed its connection before its body arrived; the
        # request layer logs that once. Nobody is left to read this answer.
        return error_response(ServerError("The client disconnected"))
    log.error(
        "unhandled error request_id=%s %s %s: %s",
        request_id,
        scope.get("method", "-"),
        scope.get("path", "-"),
        type(exc).__name__,
        exc_info=exc,
    )
    error = ServerError(f"Internal server error; request id {request_id}")
    error.headers = {"X-Request-Id": request_id}
    return error_response(error)


async def _unexpected(request: Request, exc: Exception) -> Response:
    return unexpected_response(request.scope, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
