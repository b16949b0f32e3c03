"""The Idempotency-Key layer (pure ASGI), for every API ``POST`` that carries the header.

Authorize first, then replay (Stripe's model). The request is authenticated and counted
against its key's rate limit here, before any record is read or written: a bad, revoked or
expired key, a disabled account or a request over the limit is answered as the route would
answer it, and writes nothing. The principal is left in the request's state, so the fast
lane and the routes behind use it as it is: one authentication, one rate-limit hit,
whichever path answers. Then the record of (this key, this Idempotency-Key) is claimed:

- new (or left behind by a process that died): the request runs (``apiinone.idempotency.recorder``);
- the same request, answered: the kept answer is replayed with ``Idempotent-Replayed: true``;
- another request under the same key, or the first still running: 409 ``idempotency_conflict``.

What counts as the same request and what is kept is in ``apiinone.idempotency.policy``.
Records past their 24 hours are purged in the background, once a minute per process.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiinone.api.deps import authenticate
from apiinone.api.errors import error_response
from apiinone.errors import APIError, IdempotencyConflict, InvalidRequest
from apiinone.idempotency.policy import MAX_KEY_LENGTH, applies, request_hash
from apiinone.idempotency.recorder import run_and_keep
from apiinone.idempotency.records import Claim, Record, Saved, claim, purge_expired

__all__ = ["IdempotencyMiddleware"]

IN_PROGRESS = "A request with this Idempotency-Key is still in progress; retry later"
OTHER_REQUEST = "This Idempotency-Key was used with a different request"
PURGE_EVERY = 60.0  # seconds between two purges of expired records, per process


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._next_purge = 0.0

    def _purge_now_and_then(self, gateway: Any) -> None:
        """Expired records go in the background, once a minute per process."""
        now = time.monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + PURGE_EVERY
        purge = asyncio.ensure_future(purge_expired(gateway.db))
        gateway.background.add(purge)
        purge.add_done_callback(gateway.background.discard)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_key = applies(scope)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        gateway: Any = scope["app"].state.gateway
        try:
            principal = await authenticate(Request(scope), gateway)
            key = raw_key.decode("latin-1").strip()
            if not key or len(key) > MAX_KEY_LENGTH:
                raise InvalidRequest(
                    f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
                    param="Idempotency-Key",
                )
            body = await _read_body(receive)
        except APIError as error:
            await error_response(error)(scope, receive, send)
            return
        self._purge_now_and_then(gateway)
        record = Record(principal.key_id, key)
        lease_seconds: float = gateway.settings.idempotency_lease_seconds
        claimed = await claim(
            gateway.db,
            record,
            account_id=principal.account_id,
            request_hash=request_hash(principal, scope, body),
            lease_ms=int(lease_seconds * 1000),
        )
        if claimed.outcome is Claim.REPLAY and claimed.saved is not None:
            await _replay(send, claimed.saved)
        elif claimed.outcome is Claim.NEW and claimed.owner is not None:
            await run_and_keep(
                self.app,
                scope,
                receive,
                send,
                body=body,
                db=gateway.db,
                record=record,
                owner=claimed.owner,
                lease_seconds=lease_seconds,
            )
        else:
            message = IN_PROGRESS if claimed.outcome is Claim.IN_FLIGHT else OTHER_REQUEST
            conflict = IdempotencyConflict(message, param="Idempotency-Key")
            await error_response(conflict)(scope, receive, send)


async def _read_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message: Message = await receive()
        if message["type"] == "http.request":
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(parts)
        elif message["type"] == "http.disconnect":
            return b"".join(parts)


async def _replay(send: Send, saved: Saved) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in saved.headers]
    headers += [
        (b"content-length", str(len(saved.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": saved.status, "headers": headers})
    await send({"type": "http.response.body", "body": saved.body})
