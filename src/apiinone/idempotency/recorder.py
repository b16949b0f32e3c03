"""Run a claimed request and keep its answer for replays, streams included.

The answer is passed on to the client as it comes; a copy of what is kept (``policy.py``)
is taken on the way, secrets withheld (``withhold.py``). The record is settled before the
answer's last bytes go out: kept, so a client that sends the request again the moment it
has the answer gets the replay, never a 409 for a request still in progress; or released
(an answer that is not kept), so the same Idempotency-Key may be sent again at once. A
stream (chat with ``stream: true``) is kept whole, event by event, keep-alive comments
aside; a stream cut short (the client went away, the server failed mid-answer) is kept as
far as it went, since the request ran and was charged for it.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiinone.db.engine import Database
from apiinone.idempotency.lease import held
from apiinone.idempotency.policy import ORIGINAL_REQUEST, kept_headers, recorded
from apiinone.idempotency.records import Record, Saved, abandon, save
from apiinone.idempotency.withhold import withhold_secrets

__all__ = ["run_and_keep"]

log = logging.getLogger("apiinone.idempotency")
KEEPALIVE = b": keep-alive\n\n"


class _Answer:
    """What the app has sent so far, and whether it is to be kept."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.content_type = ""
        self.chunks: list[bytes] = []

    @property
    def keep(self) -> bool:
        return self.status is not None and recorded(self.status)

    def start(self, message: Message) -> None:
        self.status = int(message["status"])
        raw = list(message.get("headers", ()))
        self.headers = kept_headers(raw)
        for name, value in raw:
            if name.lower() == b"content-type":
                self.content_type = value.decode("latin-1").lower()

    def add(self, chunk: bytes) -> None:
        if chunk and not (chunk == KEEPALIVE and self.content_type.startswith("text/event")):
            self.chunks.append(chunk)

    def saved(self, request_id: str) -> Saved:
        assert self.status is not None
        body = withhold_secrets(b"".join(self.chunks), self.content_type)
        return Saved(self.status, [*self.headers, (ORIGINAL_REQUEST, request_id)], body)


async def run_and_keep(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    body: bytes,
    db: Database,
    record: Record,
    owner: str,
    lease_seconds: float,
) -> None:
    answer = _Answer()
    body_given = False
    settled = False  # the record is kept or released
    request_id = str(scope.get("state", {}).get("request_id", ""))

    async def replay_receive() -> Message:
        nonlocal body_given
        if not body_given:
            body_given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # only a real disconnect ends a streaming answer

    async def settle() -> None:
        nonlocal settled
        settled = True
        try:
            if not answer.keep:
                await abandon(db, record, owner)
            elif not await save(db, record, owner, answer.saved(request_id)):
                log.warning("an Idempotency-Key record was taken over before its answer was kept")
        except Exception:  # the answer still goes out; the record lapses with its lease
            log.exception("could not settle an Idempotency-Key record")

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.start(message)
        elif message["type"] == "http.response.body":
            if answer.keep:
                answer.add(message.get("body", b""))
            if not message.get("more_body", False) and not settled:
                await settle()  # before the last bytes go out
        await send(message)

    try:
        async with held(db, record, owner, lease_seconds):
            await app(scope, replay_receive, capture)
    finally:
        if not settled:
            # The answer ended early (a stream cut short, an error before any answer).
            # Shielded: a request cancelled as the server stops still settles its record.
            await asyncio.shield(settle())
