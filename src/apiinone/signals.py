"""In-process wake-ups: the worker when a task is queued, event streams when one changes.

Only a hint: listeners always re-read the database, and wait with a timeout so that
changes made by other processes are seen too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict

__all__ = ["TaskSignals"]


class TaskSignals:
    def __init__(self) -> None:
        self._work = asyncio.Event()
        self._watchers: dict[str, set[asyncio.Event]] = defaultdict(set)

    def work_available(self) -> None:
        self._work.set()

    async def wait_for_work(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._work.wait(), seconds)
        self._work.clear()

    def changed(self, task_id: str) -> None:
        for event in self._watchers.get(task_id, ()):
            event.set()

    async def wait_for_change(self, task_id: str, seconds: float) -> None:
        event = asyncio.Event()
        self._watchers[task_id].add(event)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
        finally:
            watchers = self._watchers.get(task_id)
            if watchers is not None:
                watchers.discard(event)
                if not watchers:
                    del self._watchers[task_id]
