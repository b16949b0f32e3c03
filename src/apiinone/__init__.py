"""API in One: a self-hostable unified AI API gateway.

The client is imported on first use (``from apiinone import Client``), so ``import apiinone``
stays light and never pulls in the server (FastAPI, SQLAlchemy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from apiinone.client import (
        APIConnectionError,
        APIInOneError,
        APIStatusError,
        APITimeoutError,
        AsyncClient,
        AsyncTask,
        AuthenticationError,
        Client,
        ConfigurationError,
        IdempotencyConflictError,
        InsufficientCreditsError,
        InvalidRequestError,
        MethodNotAllowedError,
        NotFoundError,
        PayloadTooLargeError,
        PermissionDeniedError,
        RateLimitError,
        RetryPolicy,
        ServerError,
        ServiceUnavailableError,
        Task,
        TaskCanceled,
        TaskError,
        TaskFailed,
        TaskTimeout,
        UpstreamError,
        WebhookVerificationError,
        verify_webhook,
    )

__all__ = [
    "APIConnectionError",
    "APIInOneError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncTask",
    "AuthenticationError",
    "Client",
    "ConfigurationError",
    "IdempotencyConflictError",
    "InsufficientCreditsError",
    "InvalidRequestError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "Task",
    "TaskCanceled",
    "TaskError",
    "TaskFailed",
    "TaskTimeout",
    "UpstreamError",
    "WebhookVerificationError",
    "__version__",
    "verify_webhook",
]

_CLIENT_NAMES = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from apiinone import client

        return getattr(client, name)
    raise AttributeError(f"module 'apiinone' has no attribute {name!r}")
