"""What every surface writes on the wire: orjson response bodies, event streams and ISO-8601
timestamps.

Kept below every service so that tasks, webhooks and the chat surfaces render the same way
as the routes without importing them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import JSONResponse, StreamingResponse
from starlette.types import Receive, Scope, Send

__all__ = ["EventStream", "FastJSON", "iso"]


class FastJSON(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class EventStream(StreamingResponse):
    """A ``text/event-stream`` answer that stops when its client goes away.

    Starlette's streaming response watches for the client's disconnect in an anyio task
    group: a cancel scope, a second task and their wrappers per stream, which for thousands
    of open streams is a measurable share of a process's CPU and memory. Here one plain task
    waits for the disconnect and cancels the streaming task; that cancellation (and only
    that one) ends the answer quietly, as Starlette's does. The body iterator sees it as a
    ``CancelledError`` where it waits, as before.
    """

    media_type = "text/event-stream"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        streaming = asyncio.current_task()
        assert streaming is not None
        gone = False

        async def listen() -> None:
            nonlocal gone
            while (await receive())["type"] != "http.disconnect":
                pass
            gone = True
            streaming.cancel()

        listener = asyncio.ensure_future(listen())
        try:
            await self.stream_response(send)
        except asyncio.CancelledError:
            if not gone or streaming.uncancel() > 0:
                raise  # cancelled by someone else too
        finally:
            listener.cancel()
        if self.background is not None:
            await self.background()


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return (
        datetime.fromtimestamp(ms / 1000, tz=UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
