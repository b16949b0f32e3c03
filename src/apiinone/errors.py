"""The gateway's error tree.

Every failure a client can see is an :class:`APIError`. Each subclass fixes the
HTTP status and the ``type`` string of the error body::

    {"error": {"code": 400, "message": "...", "type": "invalid_request", "param": "prompt"}}

    APIError
    ├── InvalidRequest          400 invalid_request
    ├── AuthenticationFailed    401 authentication_error
    ├── InsufficientCredits     402 insufficient_credits
    ├── PermissionDenied        403 permission_denied
    ├── NotFound                404 not_found
    ├── MethodNotAllowed        405 method_not_allowed
    ├── RequestTimeout          408 request_timeout
    ├── Conflict                409 conflict
    ├── IdempotencyConflict     409 idempotency_conflict
    ├── PayloadTooLarge         413 payload_too_large
    ├── RateLimited             429 rate_limit
    │   └── TooManyTasks        429 too_many_tasks
    ├── ServerError             500 server_error
    ├── UpstreamError           502 upstream_error
    └── ServiceUnavailable      503 service_unavailable

Foreign exceptions are translated at the boundary (``raise InvalidRequest(...) from exc``);
anything else that escapes a handler becomes a 500 ``server_error`` carrying a request id,
never a stack trace.
"""

from __future__ import annotations

from typing import Any, ClassVar

from apiinone.redact import redact

__all__ = [
    "APIError",
    "AuthenticationFailed",
    "Conflict",
    "IdempotencyConflict",
    "InsufficientCredits",
    "InvalidRequest",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "ServiceUnavailable",
    "TooManyTasks",
    "UpstreamError",
]


class APIError(Exception):
    """Base of every error the API answers with."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "server_error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        # A message may quote what a client or an upstream sent (a path, a provider's
        # error text): secrets in it (keys, webhook secrets, credentials) are redacted.
        return {
            "error": {
                "code": self.status,
                "message": redact(self.message),
                "type": self.type,
                "param": self.param,
            }
        }


class InvalidRequest(APIError):
    status = 400
    type = "invalid_request"


class AuthenticationFailed(APIError):
    status = 401
    type = "authentication_error"


class InsufficientCredits(APIError):
    status = 402
    type = "insufficient_credits"


class PermissionDenied(APIError):
    status = 403
    type = "permission_denied"


class NotFound(APIError):
    status = 404
    type = "not_found"


class MethodNotAllowed(APIError):
    status = 405
    type = "method_not_allowed"


class RequestTimeout(APIError):
    """The request's body (or its headers) did not arrive in time; the connection is closed."""

    status = 408
    type = "request_timeout"


class Conflict(APIError):
    """The request clashes with what exists: a channel name taken, a file channel edited."""

    status = 409
    type = "conflict"


class IdempotencyConflict(APIError):
    status = 409
    type = "idempotency_conflict"


class PayloadTooLarge(APIError):
    status = 413
    type = "payload_too_large"


class RateLimited(APIError):
    status = 429
    type = "rate_limit"


class TooManyTasks(RateLimited):
    """The account has as many unfinished tasks as it may (``max_concurrent_tasks_per_account``)."""

    type = "too_many_tasks"


class ServerError(APIError):
    status = 500
    type = "server_error"


class UpstreamError(APIError):
    status = 502
    type = "upstream_error"


class ServiceUnavailable(APIError):
    status = 503
    type = "service_unavailable"
