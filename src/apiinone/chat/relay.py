"""Read an upstream stream in one task, and hand its chunks to a reader that can time out.

The chat stream must send a keep-alive comment when the upstream is silent for a while. A
timed wait per chunk (a new task and ``asyncio.wait`` each time) costs more than relaying the
chunk itself; here one task pulls the whole stream, and the reader waits on a plain future
with one timer — only when no chunk is ready. At most ``buffer`` chunks wait in between, so a
slow client slows the upstream read instead of filling memory.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from typing import Any

__all__ = ["END", "IDLE", "Relay"]

END = object()  # the stream ended
IDLE = object()  # nothing arrived within the timeout


class Relay:
    def __init__(self, iterator: AsyncIterator[dict[str, Any]], *, buffer: int = 64) -> None:
        self._loop = asyncio.get_running_loop()
        self._items: collections.deque[dict[str, Any]] = collections.deque()
        self._buffer = buffer
        self._waiter: asyncio.Future[None] | None = None
        self._space: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._ended = False
        self.task = self._loop.create_task(self._pull(iterator))

    async def _pull(self, iterator: AsyncIterator[dict[str, Any]]) -> None:
        try:
            async for item in iterator:
                self._items.append(item)
                self._wake()
                if len(self._items) >= self._buffer:
                    self._space = self._loop.create_future()
                    await self._space
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # handed to the reader
            self._error = exc
        finally:
            self._ended = True
            self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def next(self, idle_after: float) -> dict[str, Any] | object:
        """The next chunk, ``END``, or ``IDLE`` after ``idle_after`` seconds without one.

        An error the upstream stream raised is raised here, after the chunks before it.
        """
        if not self._items and not self._ended:
            self._waiter = self._loop.create_future()
            timer = self._loop.call_later(idle_after, self._wake)
            try:
                await self._waiter
            finally:
                timer.cancel()
                self._waiter = None
        if self._items:
            item = self._items.popleft()
            if self._space is not None and not self._space.done():
                self._space.set_result(None)
            return item
        if self._ended:
            if self._error is not None:
                raise self._error
            return END
        return IDLE

    async def stop(self) -> None:
        """Stop reading (the client went away); waits for the reading task to end."""
        if not self.task.done():
            self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
