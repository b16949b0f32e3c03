"""The client's exception tree, one class per error ``type`` the gateway answers with.

Every exception the client raises is an :class:`APIInOneError`::

    APIInOneError
    ├── APIStatusError                  the gateway answered with an error body
    │   ├── InvalidRequestError         400 invalid_request
    │   ├── AuthenticationError         401 authentication_error
    │   ├── InsufficientCreditsError    402 insufficient_credits
    │   ├── PermissionDeniedError       403 permission_denied
    │   ├── NotFoundError               404 not_found
    │   ├── MethodNotAllowedError       405 method_not_allowed
    │   ├── RequestTimeoutError         408 request_timeout
    │   ├── ConflictError               409 conflict (a name already taken, a read-only channel)
    │   │   └── IdempotencyConflictError 409 idempotency_conflict
    │   ├── PayloadTooLargeError        413 payload_too_large
    │   ├── RateLimitError              429 rate_limit (``retry_after`` in seconds)
    │   └── ServerError                 500 server_error (and any other 5xx)
    │       ├── UpstreamError           502 upstream_error
    │       └── ServiceUnavailableError 503 service_unavailable
    ├── APIConnectionError              the gateway could not be reached (alias ConnectionError)
    │   └── APITimeoutError             no answer in time (alias TimeoutError)
    ├── TaskError                       a task did not give a result
    │   ├── TaskFailed                  it ended FAILED (``task`` holds the task object)
    │   │   └── TaskCanceled            it ended CANCELED
    │   └── TaskTimeout                 ``wait(timeout=...)`` ran out; the task goes on
    ├── WebhookVerificationError        a webhook's signature or timestamp is wrong
    └── ConfigurationError              no API key, or an unusable base URL or config file

Transport failures are translated at the boundary (``raise APIConnectionError(...) from exc``),
so callers never need to catch httpx's exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "APIConnectionError",
    "APIInOneError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "ConnectionError",
    "IdempotencyConflictError",
    "InsufficientCreditsError",
    "InvalidRequestError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ServerError",
    "ServiceUnavailableError",
    "TaskCanceled",
    "TaskError",
    "TaskFailed",
    "TaskTimeout",
    "TimeoutError",
    "UpstreamError",
    "WebhookVerificationError",
    "error_for_response",
]


class APIInOneError(Exception):
    """Base of every exception the client raises."""

    type: ClassVar[str] = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class APIStatusError(APIInOneError):
    """The gateway answered with an error: ``{"error": {code, message, type, param}}``."""

    status_code: ClassVar[int] = 0
    type = "api_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        param: str | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status if status is not None else self.status_code
        self.param = param
        self.error_type = error_type or self.type
        self.request_id = request_id
        self.headers: dict[str, str] = dict(headers or {})
        self.body = body

    def __str__(self) -> str:
        where = f" (param: {self.param})" if self.param else ""
        return f"{self.message}{where}"


class InvalidRequestError(APIStatusError):
    status_code = 400
    type = "invalid_request"


class AuthenticationError(APIStatusError):
    status_code = 401
    type = "authentication_error"


class InsufficientCreditsError(APIStatusError):
    status_code = 402
    type = "insufficient_credits"


class PermissionDeniedError(APIStatusError):
    status_code = 403
    type = "permission_denied"


class NotFoundError(APIStatusError):
    status_code = 404
    type = "not_found"


class MethodNotAllowedError(APIStatusError):
    status_code = 405
    type = "method_not_allowed"


class RequestTimeoutError(APIStatusError):
    """The request's body (or headers) did not reach the gateway in time."""

    status_code = 408
    type = "request_timeout"


class ConflictError(APIStatusError):
    status_code = 409
    type = "conflict"


class IdempotencyConflictError(ConflictError):
    status_code = 409
    type = "idempotency_conflict"


class PayloadTooLargeError(APIStatusError):
    status_code = 413
    type = "payload_too_large"


class RateLimitError(APIStatusError):
    status_code = 429
    type = "rate_limit"

    @property
    def retry_after(self) -> float | None:
        """Seconds the gateway asked to wait (its ``Retry-After`` header), if it said."""
        from apiinone.client.transport import parse_retry_after

        return parse_retry_after(self.headers.get("retry-after"))


class ServerError(APIStatusError):
    status_code = 500
    type = "server_error"


class UpstreamError(ServerError):
    status_code = 502
    type = "upstream_error"


class ServiceUnavailableError(ServerError):
    status_code = 503
    type = "service_unavailable"


class APIConnectionError(APIInOneError):
    """The request did not get an answer: refused, reset, DNS, TLS..."""

    type = "connection_error"


class APITimeoutError(APIConnectionError):
    """The gateway did not answer within the client's timeout."""

    type = "timeout"


# The names of the design notes; not exported from ``apiinone`` itself, where they
# would shadow the builtins of the same names.
ConnectionError = APIConnectionError
TimeoutError = APITimeoutError


class TaskError(APIInOneError):
    """A task did not give a result."""

    type = "task_error"

    def __init__(self, message: str, task: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.task: dict[str, Any] = dict(task)

    @property
    def task_id(self) -> str:
        return str(self.task.get("task_id", ""))


class TaskFailed(TaskError):
    """The task ended ``FAILED``; its hold was released in full."""

    type = "task_failed"


class TaskCanceled(TaskFailed):
    """The task ended ``CANCELED``; its hold was released in full."""

    type = "task_canceled"


class TaskTimeout(TaskError):
    """``wait(timeout=...)`` gave up; the task itself is still running."""

    type = "task_timeout"


class WebhookVerificationError(APIInOneError):
    """A webhook's signature, id or timestamp does not check out."""

    type = "webhook_verification_error"


class ConfigurationError(APIInOneError):
    """The client cannot be set up: no API key, a bad base URL, an unreadable config file."""

    type = "configuration_error"


_STATUS_ERRORS: tuple[type[APIStatusError], ...] = (
    InvalidRequestError,
    AuthenticationError,
    InsufficientCreditsError,
    PermissionDeniedError,
    NotFoundError,
    MethodNotAllowedError,
    RequestTimeoutError,
    IdempotencyConflictError,
    ConflictError,
    PayloadTooLargeError,
    RateLimitError,
    ServerError,
    UpstreamError,
    ServiceUnavailableError,
)
# A status with no known type maps to the last class listed for it (409 → ConflictError).
_BY_STATUS: dict[int, type[APIStatusError]] = {cls.status_code: cls for cls in _STATUS_ERRORS}
_BY_TYPE: dict[str, type[APIStatusError]] = {cls.type: cls for cls in _STATUS_ERRORS}


def error_for_response(
    status: int, body: Any, headers: Mapping[str, str], text: str = ""
) -> APIStatusError:
    """The exception for an error answer: its ``error.type`` first, then its status."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    error_type = error.get("type") if isinstance(error.get("type"), str) else None
    cls = _BY_TYPE.get(error_type or "") or _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIStatusError
    message = error.get("message")
    if not isinstance(message, str) or not message:
        message = (text.strip()[:200] or f"HTTP {status}") if not error else f"HTTP {status}"
    param = error.get("param") if isinstance(error.get("param"), str) else None
    lowered = {k.lower(): v for k, v in headers.items()}
    return cls(
        message,
        status=status,
        param=param,
        error_type=error_type,
        request_id=lowered.get("x-request-id"),
        headers=lowered,
        body=body,
    )
