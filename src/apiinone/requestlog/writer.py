"""Writing the chat request log without a statement on the request path.

A finished chat request hands its row to :meth:`RequestLog.add`, which only appends to a
list; a background loop inserts what has gathered once a second, in one statement, and
deletes rows older than ``request_log_retention_days`` every ten minutes (or twice per
retention period, when that is shorter). The buffer is
flushed when the process stops; a process killed outright loses at most the last second
of rows (the money is in the ledger, written on the request path, never here). A full
buffer (``MAX_BUFFER`` rows, when the database is unreachable) drops the oldest rows
rather than grow without bound, and says so in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import delete, insert

from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import chat_requests

__all__ = ["RequestLog"]

log = logging.getLogger("apiinone.requestlog")

DAY_MS = 86_400_000
MAX_BUFFER = 50_000
PURGE_EVERY = 600.0  # seconds


class RequestLog:
    def __init__(self, db: Database, *, retention_days: float, flush_seconds: float = 1.0):
        self.db = db
        self.retention_ms = int(retention_days * DAY_MS)
        self.flush_seconds = flush_seconds
        # Purge every ten minutes, or twice per retention period when that is shorter.
        self.purge_every = min(PURGE_EVERY, self.retention_ms / 2000)
        self._rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        if len(self._rows) >= MAX_BUFFER:
            del self._rows[: MAX_BUFFER // 10]
            log.warning("request log buffer full: dropped the oldest %d rows", MAX_BUFFER // 10)
        self._rows.append(row)

    async def flush(self) -> int:
        rows, self._rows = self._rows, []
        if not rows:
            return 0
        try:
            async with self.db.write() as conn:
                await conn.execute(insert(chat_requests), rows)
        except Exception:
            self._rows[:0] = rows  # keep them for the next try
            raise
        return len(rows)

    async def purge(self) -> int:
        async with self.db.write() as conn:
            result = await conn.execute(
                delete(chat_requests).where(
                    chat_requests.c.created_at < now_ms() - self.retention_ms
                )
            )
        return int(result.rowcount or 0)

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_purge = loop.time()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.flush_seconds)
            try:
                await self.flush()
                if loop.time() >= next_purge:
                    next_purge = loop.time() + self.purge_every
                    await self.purge()
            except Exception:
                log.exception("could not write the request log; trying again")

    async def close(self) -> None:
        try:
            await self.flush()
        except Exception:
            log.exception("could not write the last request log rows")
