"""Group commit for SQLite: many small write transactions share one commit and one thread hop.

Each operation is a plain function of a ``sqlite3.Cursor`` that runs its statements and
returns a value or raises. Operations queued while a batch is being written wait for the
next one; a batch runs on a dedicated thread, inside one ``BEGIN IMMEDIATE`` … ``COMMIT``,
each operation under its own ``SAVEPOINT`` so that one that raises leaves no trace and does
not disturb the others. A caller's result is delivered only after its batch committed, so
"awaited" still means "durable" (as durable as the database's ``synchronous`` setting).

Writes through SQLAlchemy and from other processes go on as before: SQLite's own lock, with
the busy timeout, serializes them against the batches.

When the write lock is free, a batch is written on the event loop's own thread (a batch of
small statements takes tens of microseconds; two thread hops take longer than that). When
another connection holds the lock, the loop does not wait for it: the batch goes to the
writer thread, which does.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from apiinone.db.steps import Steps, deliver, run_sqlite

__all__ = ["GroupWriter", "ReadBusy"]

T = TypeVar("T")
Operation = Callable[[sqlite3.Cursor], Any]
_Outcome = tuple[bool, Any]


class _Busy(Exception):
    """The write lock is taken; nothing was written."""


class ReadBusy(Exception):
    """A read on the loop's thread could not start at once (read it another way)."""


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


class GroupWriter:
    def __init__(
        self, path: str, *, max_batch: int = 512, busy_timeout_ms: int = 15000, inline: bool = True
    ) -> None:
        self.path = path
        self.max_batch = max_batch
        self.busy_timeout_ms = busy_timeout_ms
        self.inline = inline
        self._loop_conn: sqlite3.Connection | None = None
        self._read_conn: sqlite3.Connection | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._local = threading.local()
        self._pending: list[tuple[Operation, asyncio.Future[Any]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0
        self.threaded_batches = 0
        self.operations = 0

    async def run(self, operation: Callable[[sqlite3.Cursor], T]) -> T:
        """Run ``operation`` in the next batch; its result once the batch has committed."""
        if self._closed:
            raise RuntimeError("the group writer is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((operation, future))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await future

    def read_row(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """One row of a query, read on the loop's thread: a point lookup by key takes a few
        microseconds, less than the thread hop of an async driver. Readers never wait for
        writers under WAL; in the rare case SQLite asks to wait, ``ReadBusy`` is raised and
        nothing waits."""
        if self._read_conn is None:
            self._read_conn = self._open(0)
            self._read_conn.execute("PRAGMA query_only=1")
        try:
            row: tuple[Any, ...] | None = self._read_conn.execute(sql, params).fetchone()
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise ReadBusy from exc
            raise
        return row

    async def run_steps(self, make: Callable[[], Steps]) -> Any:
        """Run the steps ``make()`` gives (``db/steps.py``) in the next batch."""
        return await self.run(lambda cur: run_sqlite(cur, make()))

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                operations = [operation for operation, _ in batch]
                try:
                    outcomes = self._write_inline(operations)
                    if outcomes is None:
                        self.threaded_batches += 1
                        outcomes = await loop.run_in_executor(
                            self._executor, self._write_threaded, operations
                        )
                except BaseException as exc:  # the batch as a whole failed: nothing committed
                    outcomes = [(False, exc)] * len(batch)
                deliver(batch, outcomes)
        finally:
            self._drainer = None

    def _open(self, busy_timeout_ms: int) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=busy_timeout_ms / 1000, check_same_thread=True
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _write_inline(self, operations: list[Operation]) -> list[_Outcome] | None:
        """Write on the loop's thread if the lock is free at once; None if it is not."""
        if not self.inline:
            return None
        if self._loop_conn is None:
            self._loop_conn = self._open(0)
        try:
            return self._write(self._loop_conn, operations)
        except _Busy:
            return None

    def _write_threaded(self, operations: list[Operation]) -> list[_Outcome]:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open(self.busy_timeout_ms)
        try:
            return self._write(conn, operations)
        except _Busy as busy:  # still locked after the busy timeout
            raise sqlite3.OperationalError("database is locked") from busy.__cause__

    def _write(self, conn: sqlite3.Connection, operations: list[Operation]) -> list[_Outcome]:
        cur = conn.cursor()
        outcomes: list[_Outcome] = []
        try:
            cur.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            cur.close()
            if _is_busy(exc):
                raise _Busy from exc
            raise
        try:
            for operation in operations:
                cur.execute("SAVEPOINT op")
                try:
                    value = operation(cur)
                except Exception as exc:
                    cur.execute("ROLLBACK TO op")
                    cur.execute("RELEASE op")
                    outcomes.append((False, exc))
                else:
                    cur.execute("RELEASE op")
                    outcomes.append((True, value))
            try:
                cur.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if _is_busy(exc):
                    raise _Busy from exc
                raise
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            cur.close()
        self.batches += 1
        self.operations += len(operations)
        return outcomes

    async def close(self) -> None:
        self._closed = True
        if self._drainer is not None:
            await asyncio.wait({self._drainer})
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close_connection)
        self._executor.shutdown(wait=True)
        for conn in (self._loop_conn, self._read_conn):
            if conn is not None:
                conn.close()
        self._loop_conn = self._read_conn = None

    def _close_connection(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
