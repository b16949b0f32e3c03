"""Point reads of the hot path on PostgreSQL: one statement on a plain asyncpg pool.

A read through SQLAlchemy's pool costs a ping, a BEGIN and a ROLLBACK around the statement
(four round trips) and its compile and row machinery; a task poll is one primary-key
lookup, which needs none of it. This pool runs such a statement outside any transaction
(each statement sees every commit before it: a task is visible as soon as its submission
returned) with asyncpg's prepared-statement cache. It keeps its connections, so a burst of
polls does not open and close overflow connections either. SQLite's counterpart is
``GroupWriter.read_row`` (on the loop's own connection).
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from apiinone.db.steps import pg_sql

__all__ = ["PgPointReads"]


class PgPointReads:
    def __init__(self, dsn: str, *, size: int) -> None:
        self.dsn = dsn
        self.size = size
        self._pool: Any = None
        self._opening: asyncio.Lock | None = None

    async def _open(self) -> Any:
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self.dsn, min_size=1, max_size=self.size, max_inactive_connection_lifetime=300
                )
        return self._pool

    async def row(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The first row of ``sql`` (``?`` placeholders), or None."""
        pool = self._pool or await self._open()
        record = await pool.fetchrow(pg_sql(sql), *params)
        return None if record is None else tuple(record)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
