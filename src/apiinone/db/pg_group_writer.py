"""Group commit for PostgreSQL: the same batches as ``group_writer.py``, on one asyncpg link.

Operations (step generators, ``db/steps.py``) queued while a batch is written wait for the
next one. A batch is one transaction; operations that begin with the same ``PgStep``
(holds, settlements) send those first statements as one pipelined round trip. An
operation that raises leaves no trace and the others still commit: the batch is rolled
back and written again with each operation under its own savepoint (the common batch,
where none raises, pays for no savepoints). Results are delivered after the commit. Every
replica has its own writer; row locks order the batches of different replicas, and a batch
that loses a deadlock is rolled back and written again (its steps read the rows afresh, so
a retry is exact).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]

from apiinone.db.steps import Steps, StepsOf, deliver, run_asyncpg, run_batch_asyncpg

__all__ = ["PgGroupWriter"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Outcome = tuple[bool, Any]
_RETRYABLE = (asyncpg.exceptions.DeadlockDetectedError, asyncpg.exceptions.SerializationError)
_LINK_LOST = (OSError, asyncpg.exceptions.InterfaceError)


class PgGroupWriter:
    def __init__(self, dsn: str, *, max_batch: int = 256, attempts: int = 4) -> None:
        self.dsn = dsn
        self.max_batch = max_batch
        self.attempts = attempts
        self._conn: Any = None
        self._pending: list[tuple[Callable[[], Steps], asyncio.Future[Any]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0
        self.operations = 0
        self.pipelined = 0  # operations whose first statement went in a pipelined round trip

    async def run_steps(self, make: Callable[[], StepsOf[T]]) -> T:
        """Run the steps ``make()`` gives in the next batch; the value once it committed."""
        if self._closed:
            raise RuntimeError("the group writer is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((make, future))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                try:
                    outcomes = await self._write([make for make, _ in batch])
                except BaseException as exc:  # nothing of the batch committed
                    outcomes = [(False, exc)] * len(batch)
                deliver(batch, outcomes)
        finally:
            self._drainer = None

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self.dsn)
        return self._conn

    async def _write(self, makers: list[Callable[[], Steps]]) -> list[tuple[bool, Any]]:
        for attempt in range(1, self.attempts + 1):
            conn = await self._connection()
            try:
                written = await _write_plain(conn, makers)
                if isinstance(written, Exception):  # rolled back: write it again, guarded
                    if len(makers) == 1:
                        outcomes: list[Outcome] = [(False, written)]
                    else:
                        outcomes = await _write_guarded(conn, makers)
                else:
                    outcomes, pipelined = written
                    self.pipelined += pipelined
            except _RETRYABLE as exc:
                if attempt == self.attempts:
                    raise
                log.info("group write lost a deadlock (attempt %d): %s", attempt, exc)
                await asyncio.sleep(0.001 * attempt)
                continue
            except _LINK_LOST:
                if self._conn is not None:
                    self._conn.terminate()
                self._conn = None
                raise
            self.batches += 1
            self.operations += len(makers)
            return outcomes
        raise AssertionError("unreachable")

    async def close(self) -> None:
        self._closed = True
        if self._drainer is not None:
            await asyncio.wait({self._drainer})
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


async def _write_plain(
    conn: Any, makers: list[Callable[[], Steps]]
) -> tuple[list[Outcome], int] | Exception:
    """The batch in one transaction without savepoints (two round trips fewer per operation),
    operations that begin alike pipelined (``run_batch_asyncpg``): every value and how many
    were pipelined, or — the transaction rolled back — the first exception raised."""
    try:
        async with conn.transaction():
            values, pipelined = await run_batch_asyncpg(conn, [make() for make in makers])
    except (*_RETRYABLE, *_LINK_LOST):
        raise
    except Exception as exc:
        return exc
    return [(True, value) for value in values], pipelined


async def _write_guarded(conn: Any, makers: list[Callable[[], Steps]]) -> list[Outcome]:
    """The batch in one transaction, each operation under its own savepoint."""
    outcomes: list[Outcome] = []
    async with conn.transaction():
        for make in makers:
            savepoint = conn.transaction()
            await savepoint.start()
            try:
                value = await run_asyncpg(conn, make())
            except _RETRYABLE:
                raise
            except Exception as exc:
                await savepoint.rollback()
                outcomes.append((False, exc))
            else:
                await savepoint.commit()
                outcomes.append((True, value))
    return outcomes
