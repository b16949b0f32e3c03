"""The Idempotency-Key middleware (pure ASGI), for every POST that carries the header."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiinone.auth.secrets import hash_key
from apiinone.errors import APIError, IdempotencyConflict, InvalidRequest, PayloadTooLarge
from apiinone.idempotency.store import Claim, Saved, abandon, claim, save

__all__ = ["IdempotencyMiddleware"]

log = logging.getLogger("apiinone.idempotency")
KEPT_HEADERS = {b"content-type", b"location", b"x-ratelimit-limit"}


async def _send_error(send: Send, error: APIError) -> None:
    body = orjson.dumps(error.body())
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(b"idempotency-key")
        token = headers.get(b"authorization", b"").partition(b" ")[2].strip()
        if raw_key is None or not token:
            await self.app(scope, receive, send)
            return
        gateway: Any = scope["app"].state.gateway
        principal = await gateway.keys.get(hash_key(token.decode("latin-1")))
        if principal is None or principal.revoked:
            await self.app(scope, receive, send)  # authentication will answer
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > 255:
            await _send_error(
                send,
                InvalidRequest(
                    "Idempotency-Key must be 1 to 255 characters", param="Idempotency-Key"
                ),
            )
            return
        try:
            body = await _read_body(receive)
        except PayloadTooLarge as exc:
            await _send_error(send, exc)
            return
        digest = hashlib.sha256(
            scope["path"].encode() + b"\n" + scope.get("query_string", b"") + b"\n" + body
        ).hexdigest()
        outcome, saved = await claim(gateway.db, principal.account_id, key, digest)
        if outcome is Claim.CONFLICT:
            await _send_error(
                send,
                IdempotencyConflict(
                    "This Idempotency-Key was used with a different request",
                    param="Idempotency-Key",
                ),
            )
            return
        if outcome is Claim.IN_FLIGHT:
            await _send_error(
                send,
                IdempotencyConflict(
                    "A request with this Idempotency-Key is still in progress; retry later",
                    param="Idempotency-Key",
                ),
            )
            return
        if outcome is Claim.REPLAY and saved is not None:
            await _replay(send, saved)
            return
        await self._run_and_keep(scope, body, receive, send, gateway, principal.account_id, key)

    async def _run_and_keep(
        self,
        scope: Scope,
        body: bytes,
        receive: Receive,
        send: Send,
        gateway: Any,
        account_id: str,
        key: str,
    ) -> None:
        status = 500
        kept_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        streaming = False
        sent_body = False
        kept = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # only a real disconnect ends a streaming answer

        async def keep() -> None:
            nonlocal kept
            kept = True
            await save(gateway.db, account_id, key, Saved(status, kept_headers, b"".join(chunks)))

        async def capture(message: Message) -> None:
            nonlocal status, streaming
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name == b"content-type" and value.startswith(b"text/event-stream"):
                        streaming = True
                    if name in KEPT_HEADERS:
                        kept_headers.append((name.decode(), value.decode("latin-1")))
            elif message["type"] == "http.response.body" and not streaming:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and status < 500:
                    # Kept before the answer's last bytes go out: a client that sends the
                    # request again as soon as it has the answer gets it replayed, never a
                    # 409 for a request still in progress.
                    await keep()
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            if kept:
                pass  # saved with the answer's last bytes
            elif status < 500 and not streaming:
                await keep()  # the answer ended without a last body message
            else:
                await abandon(gateway.db, account_id, key)


async def _read_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(parts)
        elif message["type"] == "http.disconnect":
            return b"".join(parts)


async def _replay(send: Send, saved: Saved) -> None:
    headers = [(k.encode(), v.encode("latin-1")) for k, v in saved.headers]
    headers += [
        (b"content-length", str(len(saved.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": saved.status, "headers": headers})
    await send({"type": "http.response.body", "body": saved.body})
