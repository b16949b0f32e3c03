"""The Python client of API in One's native API.

``Client`` and ``AsyncClient`` (resources per area: ``images``, ``videos``, ``music``,
``speech``, ``tools``, ``tasks``, ``account``, ``keys``, ``models``, ``quotes``, ``uploads``,
``chat``, ``admin``), task handles (``Task``, ``AsyncTask``), the exception tree of
:mod:`apiinone.client.errors`, ``verify_webhook`` and the ``RetryPolicy``.
"""

from apiinone.client.async_client import AsyncClient
from apiinone.client.client import Client
from apiinone.client.errors import (
    APIConnectionError,
    APIInOneError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidRequestError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    ServiceUnavailableError,
    TaskCanceled,
    TaskError,
    TaskFailed,
    TaskTimeout,
    UpstreamError,
    WebhookVerificationError,
)
from apiinone.client.resources.chat import AsyncChatStream, ChatStream
from apiinone.client.tasks import AsyncTask, Task
from apiinone.client.transport import RetryPolicy
from apiinone.client.webhooks import verify_webhook

__all__ = [
    "APIConnectionError",
    "APIInOneError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncChatStream",
    "AsyncClient",
    "AsyncTask",
    "AuthenticationError",
    "ChatStream",
    "Client",
    "ConfigurationError",
    "ConflictError",
    "IdempotencyConflictError",
    "InsufficientCreditsError",
    "InvalidRequestError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
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
    "verify_webhook",
]
