"""The outermost pure-ASGI layer: request ids, the body size limit, rate-limit headers, and
the error JSON for an exception that no inner layer handled."""

from __future__ import annotations

import re
import secrets

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiinone.api.errors import unexpected_response
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

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                if b"x-request-id" not in present:
                    headers.append((b"x-request-id", request_id))
                decision = state.get("ratelimit")
                if decision is not None:
                    headers.extend(h for h in decision.raw_headers() if h[0] not in present)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception as exc:
            if started:
                raise  # the answer is under way: the server closes the connection
            await unexpected_response(scope, exc)(scope, receive, send_with_headers)

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
