"""The one pure-ASGI middleware: request ids, the body size limit, rate-limit headers."""

from __future__ import annotations

import re
import secrets

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiinone.errors import PayloadTooLarge

__all__ = ["RequestContextMiddleware"]

_GOOD_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = b""
        length: int | None = None
        for name, value in scope["headers"]:
            if name == b"x-request-id" and _GOOD_ID.match(value):
                request_id = value
            elif name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        if not request_id:
            request_id = ("req_" + secrets.token_hex(8)).encode()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id.decode()

        if length is not None and length > self.max_body_bytes:
            await self._too_large(send, request_id)
            return

        limit = self.max_body_bytes
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"The request body is larger than {limit} bytes")
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id))
                decision = state.get("ratelimit")
                if decision is not None:
                    for key, val in decision.headers().items():
                        lower = key.lower().encode()
                        if not any(h[0] == lower for h in headers):
                            headers.append((lower, val.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, limited_receive, send_with_headers)

    async def _too_large(self, send: Send, request_id: bytes) -> None:
        body = orjson.dumps(
            PayloadTooLarge(f"The request body is larger than {self.max_body_bytes} bytes").body()
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
