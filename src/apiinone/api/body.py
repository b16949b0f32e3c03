"""A request body as the application reads it, under its limits: its size
(``max_body_bytes``), the time it may take to arrive (``body_timeout_seconds``) and, once
complete, what a JSON body or a form may hold (``json_guard``).

``BodyReader.receive`` stands in for the ASGI ``receive`` of the request. The limits raise
``APIError``s from it, so whichever layer reads the body (the fast lane, a route, the
idempotency layer) answers them as its other errors. The arrival deadline is one timer per
request, armed at the first read of a body and dropped once the body is complete: a
cancellation scope around every read would cost each request more than the rest of this
layer together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal

from starlette.types import Message, Receive

from apiinone.api.json_guard import check_json_body
from apiinone.errors import InvalidRequest, PayloadTooLarge, RequestTimeout

__all__ = ["BodyReader"]

Checked = Literal["json", "form"] | None


class BodyReader:
    def __init__(
        self,
        receive: Receive,
        *,
        expected: bool,
        checked: Checked,
        max_bytes: int,
        max_json_depth: int,
        timeout: float,
        on_disconnect: Callable[[], None],
    ) -> None:
        self._receive = receive
        self.done = not expected  # the whole body has been read (or there is none)
        self._checked = checked
        self._parts: list[bytes] = []
        self._received = 0
        self._max_bytes = max_bytes
        self._max_json_depth = max_json_depth
        self._timeout = timeout
        self._on_disconnect = on_disconnect
        self._timer: asyncio.TimerHandle | None = None
        self._expired = False
        self._reader: asyncio.Task[object] | None = None

    async def receive(self) -> Message:
        if self.done:
            message = await self._receive()
        else:
            message = await self._in_time()
        kind = message["type"]
        if kind == "http.request" and not self.done:
            self._take(message)
        elif kind == "http.disconnect":
            self._finish()
            self._on_disconnect()
        return message

    def close(self) -> None:
        """The request is over: drop the timer, whatever was read."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _in_time(self) -> Message:
        if self._expired:
            raise self._late()
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._timeout, self._expire)
        task = asyncio.current_task()
        self._reader = task
        try:
            return await self._receive()
        except asyncio.CancelledError:
            if self._expired and task is not None and task.uncancel() == 0:
                raise self._late() from None
            raise
        finally:
            self._reader = None

    def _expire(self) -> None:
        self._timer = None
        self._expired = True
        if self._reader is not None:
            self._reader.cancel()

    def _late(self) -> RequestTimeout:
        return RequestTimeout(
            f"The request body did not arrive within {self._timeout:g} seconds",
            headers={"Connection": "close"},
        )

    def _take(self, message: Message) -> None:
        chunk = message.get("body", b"")
        self._received += len(chunk)
        if self._received > self._max_bytes:
            raise PayloadTooLarge(f"The request body is larger than {self._max_bytes} bytes")
        if self._checked is not None and chunk:
            self._parts.append(chunk)
        if not message.get("more_body", False):
            self._finish()
            raw = b"".join(self._parts)
            self._parts = []
            if self._checked == "json" and raw:
                check_json_body(raw, self._max_json_depth)  # what the framework parses
            elif self._checked == "form" and b"%00" in raw:
                raise InvalidRequest("The form holds a NUL character (%00)")

    def _finish(self) -> None:
        self.done = True
        self.close()
