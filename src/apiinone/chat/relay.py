"""Read an upstream stream in one task, and hand its chunks to a reader that can time out.

The chat stream must send a keep-alive comment when the upstream is silent for a while. A
timed wait per chunk (a new task and ``asyncio.wait`` each time) costs more than relaying the
chunk itself; here one task pulls the whole stream, and the reader waits on a plain future
when no chunk is ready. At most ``buffer`` chunks wait in between, so a slow client slows the
upstream read instead of filling memory.

Nor does a waiting reader start a timer of its own (thousands of open streams would start and
cancel one per chunk): the waiting readers of an event loop are in one ``IdleWatch``, whose
single timer runs only while some reader waits and wakes each one whose time is up. A reader
is told ``IDLE`` between ``idle_after`` and ``idle_after`` plus a quarter of it (at most 1 s)
after it began to wait.
"""

from __future__ import annotations

import asyncio
import collections
import weakref
from collections.abc import AsyncIterator
from typing import Any

__all__ = ["END", "IDLE", "IdleWatch", "Relay"]

END = object()  # the stream ended
IDLE = object()  # nothing arrived within the timeout
LONGEST_TICK = 1.0
SHORTEST_TICK = 0.01


class IdleWatch:
    """The readers of one event loop waiting for a chunk, and one timer that wakes those
    whose wait has lasted its ``idle_after``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._due: dict[Relay, float] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._tick = LONGEST_TICK

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> IdleWatch:
        watch = _WATCHES.get(loop)
        if watch is None:
            watch = _WATCHES[loop] = cls(loop)
        return watch

    def add(self, relay: Relay, idle_after: float) -> None:
        self._due[relay] = self._loop.time() + idle_after
        tick = min(LONGEST_TICK, max(SHORTEST_TICK, idle_after / 4))
        if self._timer is None or tick < self._tick:
            if self._timer is not None:
                self._timer.cancel()
            self._tick = tick
            self._timer = self._loop.call_later(tick, self._sweep)

    def discard(self, relay: Relay) -> None:
        self._due.pop(relay, None)

    def __len__(self) -> int:
        return len(self._due)

    def _sweep(self) -> None:
        now = self._loop.time()
        for relay in [r for r, due in self._due.items() if due <= now]:
            del self._due[relay]
            relay._wake()
        if self._due:
            self._timer = self._loop.call_later(self._tick, self._sweep)
        else:
            self._timer, self._tick = None, LONGEST_TICK


_WATCHES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, IdleWatch] = (
    weakref.WeakKeyDictionary()
)


class Relay:
    def __init__(self, iterator: AsyncIterator[dict[str, Any]], *, buffer: int = 64) -> None:
        self._loop = asyncio.get_running_loop()
        self._watch = IdleWatch.of(self._loop)
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
            self._watch.add(self, idle_after)
            try:
                await self._waiter
            finally:
                self._watch.discard(self)
                self._waiter = None
        item = self.ready()
        return IDLE if item is None else item

    def ready(self) -> dict[str, Any] | object | None:
        """The next chunk or ``END`` when one is at hand now, without waiting; else None.

        An error the upstream stream raised is raised here, after the chunks before it.
        """
        if self._items:
            item = self._items.popleft()
            if self._space is not None and not self._space.done():
                self._space.set_result(None)
            return item
        if self._ended:
            if self._error is not None:
                raise self._error
            return END
        return None

    async def stop(self) -> None:
        """Stop reading (the client went away); waits for the reading task to end."""
        if not self.task.done():
            self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
