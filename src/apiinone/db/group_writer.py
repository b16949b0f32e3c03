"""Group commit for SQLite: many small write transactions share one commit and one thread hop.

Each operation is a plain function of a ``sqlite3.Cursor`` that runs its statements and
returns a value or raises; it may be run more than once (``run_steps`` makes its steps afresh
each time, and they read the rows again). Operations queued while a batch is being written
wait for the next one; a batch runs inside one ``BEGIN IMMEDIATE`` … ``COMMIT``. An
operation that raises leaves no trace and does not disturb the others: the batch is then
rolled back and written again with each operation under its own ``SAVEPOINT``. A caller's
result is delivered only after its batch committed, so "awaited" still means "durable" (as
durable as the database's ``synchronous`` setting).

Writes through SQLAlchemy and from other processes go on as before: SQLite's own lock, with
the busy timeout, serializes them against the batches.

When the write lock is free, a batch is written on the event loop's own thread (a batch of
small statements takes tens of microseconds; two thread hops take longer than that). When
another connection holds the lock, the loop does not wait for it: the batch goes to the
writer thread, which does. The loop's connection never checkpoints the WAL itself (a
checkpoint syncs the files: milliseconds); a thread of the writer's own runs one between two
batches every ``checkpoint_every`` operations, while the loop goes on with everything else.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from apiinone.db.steps import StepsOf, deliver, run_sqlite

__all__ = ["GroupWriter", "ReadBusy"]

log = logging.getLogger(__name__)

CHECKPOINT_WAIT_MS = 200

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
        self,
        path: str,
        *,
        max_batch: int = 512,
        busy_timeout_ms: int = 15000,
        inline: bool = True,
        checkpoint_every: int = 256,
    ) -> None:
        self.path = path
        self.max_batch = max_batch
        self.busy_timeout_ms = busy_timeout_ms
        self.inline = inline
        self._loop_conn: sqlite3.Connection | None = None
        self._read_conn: sqlite3.Connection | None = None
        self.checkpoint_every = checkpoint_every
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._checkpointer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-wal")
        self._unchecked = 0
        self._local = threading.local()
        self._pending: list[tuple[Operation, asyncio.Future[Any]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0
        self.threaded_batches = 0
        self.operations = 0
        self.checkpoints = 0

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

    async def run_steps(self, make: Callable[[], StepsOf[T]]) -> T:
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
                self._unchecked += len(batch)
                if self._unchecked >= self.checkpoint_every:
                    self._unchecked = 0
                    # The next batch waits for it (it gathers what comes meanwhile); the
                    # loop does not.
                    await loop.run_in_executor(self._checkpointer, self._checkpoint)
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
            # A checkpoint copies the WAL into the database and syncs both: milliseconds, once
            # every thousand pages. Not on the loop's thread: ``_checkpoint`` does it.
            self._loop_conn.execute("PRAGMA wal_autocheckpoint=0")
        try:
            return self._write(self._loop_conn, operations)
        except _Busy:
            return None

    def _checkpoint(self) -> None:
        """A checkpoint on a thread of its own, between two batches. RESTART: it copies the
        whole WAL and has the next batch write the WAL from its start. It waits for readers
        only briefly: when one is still reading the WAL, the frames are copied and the
        restart waits for next time."""
        try:
            conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = self._open(CHECKPOINT_WAIT_MS)
            conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error:
            log.warning("WAL checkpoint failed; the next one will copy what this one left")

    def _write_threaded(self, operations: list[Operation]) -> list[_Outcome]:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open(self.busy_timeout_ms)
        try:
            return self._write(conn, operations)
        except _Busy as busy:  # still locked after the busy timeout
            raise sqlite3.OperationalError("database is locked") from busy.__cause__

    def _write(self, conn: sqlite3.Connection, operations: list[Operation]) -> list[_Outcome]:
        """One transaction for the batch. The operations run first without savepoints (two
        statements fewer each); only when one raises is the batch rolled back and written
        again with a savepoint around each, so that the one that raised leaves no trace."""
        cur = conn.cursor()
        try:
            _begin(cur)
            try:
                outcomes = _run_plain(cur, operations)
                if isinstance(outcomes, Exception):
                    failed = outcomes
                    if conn.in_transaction:
                        cur.execute("ROLLBACK")
                    if len(operations) == 1:
                        self._count(1)
                        return [(False, failed)]  # rolled back: nothing else to write
                    _begin(cur)
                    outcomes = _run_guarded(cur, operations)
                _commit(cur)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            cur.close()
        self._count(len(operations))
        return outcomes

    def _count(self, operations: int) -> None:
        self.batches += 1
        self.operations += operations

    async def close(self) -> None:
        self._closed = True
        if self._drainer is not None:
            await asyncio.wait({self._drainer})
        loop = asyncio.get_running_loop()
        for executor in (self._executor, self._checkpointer):
            await loop.run_in_executor(executor, self._close_connection)
            executor.shutdown(wait=True)
        for conn in (self._loop_conn, self._read_conn):
            if conn is not None:
                conn.close()
        self._loop_conn = self._read_conn = None

    def _close_connection(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _begin(cur: sqlite3.Cursor) -> None:
    _locking(cur, "BEGIN IMMEDIATE")


def _commit(cur: sqlite3.Cursor) -> None:
    _locking(cur, "COMMIT")


def _locking(cur: sqlite3.Cursor, sql: str) -> None:
    """A statement that takes or needs the write lock: ``_Busy`` when another holds it."""
    try:
        cur.execute(sql)
    except sqlite3.OperationalError as exc:
        if _is_busy(exc):
            raise _Busy from exc
        raise


def _run_plain(cur: sqlite3.Cursor, operations: list[Operation]) -> list[_Outcome] | Exception:
    """Every operation's value, or the exception of the first one that raised."""
    outcomes: list[_Outcome] = []
    for operation in operations:
        try:
            outcomes.append((True, operation(cur)))
        except Exception as exc:
            return exc
    return outcomes


def _run_guarded(cur: sqlite3.Cursor, operations: list[Operation]) -> list[_Outcome]:
    outcomes: list[_Outcome] = []
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
    return outcomes
