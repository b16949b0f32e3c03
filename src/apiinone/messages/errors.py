"""Errors on the Anthropic paths in Anthropic's shape, with the same HTTP statuses:

    {"type": "error", "error": {"type": "invalid_request_error", "message": "..."}}

Types by the gateway's error type: ``invalid_request``, ``method_not_allowed``,
``idempotency_conflict`` and ``payload_too_large`` → ``invalid_request_error``;
``authentication_error`` → ``authentication_error``; ``insufficient_credits`` (402) →
``billing_error`` (Anthropic's type for credit problems; its SDK raises
``PaymentRequiredError`` for a 402); ``permission_denied`` → ``permission_error``;
``not_found`` → ``not_found_error``; ``request_timeout`` → ``timeout_error``;
``rate_limit`` and ``too_many_tasks`` → ``rate_limit_error``; ``service_unavailable`` →
``overloaded_error``; anything else → ``api_error``.

:class:`AnthropicErrors` is a pure-ASGI layer, outermost, so that every error on these
paths is rewritten, whichever layer answered it (the body limit, the Idempotency-Key layer,
authentication, validation, the route). The paths: ``/v1/messages`` and below, and
``/v1/models`` asked with an ``anthropic-version`` header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ERROR_TYPES", "AnthropicErrors", "anthropic_error", "is_anthropic"]

ERROR_TYPES: Final = {
    "invalid_request": "invalid_request_error",
    "method_not_allowed": "invalid_request_error",
    "idempotency_conflict": "invalid_request_error",
    "payload_too_large": "invalid_request_error",
    "authentication_error": "authentication_error",
    "insufficient_credits": "billing_error",
    "permission_denied": "permission_error",
    "not_found": "not_found_error",
    "request_timeout": "timeout_error",
    "rate_limit": "rate_limit_error",
    "too_many_tasks": "rate_limit_error",
    "service_unavailable": "overloaded_error",
}
MESSAGES_PATH: Final = "/v1/messages"
MODELS_PATH: Final = "/v1/models"


def is_anthropic(scope: Scope) -> bool:
    """True for a request on the Anthropic paths."""
    path: str = scope.get("path", "")
    if path == MESSAGES_PATH or path.startswith(MESSAGES_PATH + "/"):
        return True
    if path == MODELS_PATH or path.startswith(MODELS_PATH + "/"):
        return any(name == b"anthropic-version" for name, _ in scope.get("headers", ()))
    return False


def anthropic_error(body: Mapping[str, Any]) -> dict[str, Any]:
    """The gateway's error body in Anthropic's shape."""
    error = body.get("error")
    error = error if isinstance(error, Mapping) else {}
    kind = ERROR_TYPES.get(str(error.get("type")), "api_error")
    return {"type": "error", "error": {"type": kind, "message": str(error.get("message", ""))}}


class AnthropicErrors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_anthropic(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        parts: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", ()))
                is_json = headers.get(b"content-type", b"").startswith(b"application/json")
                if message["status"] >= 400 and is_json:
                    start = message  # held until the body is whole
                    return
            elif message["type"] == "http.response.body" and start is not None:
                parts.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await _send_rewritten(send, start, b"".join(parts))
                return
            await send(message)

        await self.app(scope, receive, rewrite)


async def _send_rewritten(send: Send, start: Message, body: bytes) -> None:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), Mapping):
        body = orjson.dumps(anthropic_error(parsed))
    headers = [(k, v) for k, v in start.get("headers", ()) if k != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})
