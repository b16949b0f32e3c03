"""API in One: a self-hostable unified AI API gateway.

The client is imported on first use (``from apiinone import Client``), so ``import apiinone``
stays light and never pulls in the server (FastAPI, SQLAlchemy).

This file ships in the client distribution (``apiinone``). The server distribution
(``apiinone-server``) ships its modules of this package, and of ``apiinone.cli``, without an
``__init__.py``. Installed side by side (wheels, or editable installs of one checkout) the two
share a directory. Where the server's modules lie in another ``sys.path`` entry, that
directory is a portion with no ``__init__.py`` and joins the package's ``__path__``; a
directory with an ``__init__.py`` of its own is a whole other copy (another checkout) and is
left out, since its modules are not this copy's.
"""

from __future__ import annotations

import os
from pkgutil import extend_path
from typing import TYPE_CHECKING, Any


def _server_portions(path: list[str], name: str) -> list[str]:
    """``path``, then the ``__init__``-less portions of package ``name`` on sys.path."""
    own = list(path)
    found = extend_path(list(path), name)
    extra = [
        p for p in found if p not in own and not os.path.exists(os.path.join(p, "__init__.py"))
    ]
    return own + extra


__path__ = _server_portions(__path__, __name__)
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
        ConflictError,
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
    "ConflictError",
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
