"""The database handle: one async engine, reads from the pool, serialized writes on SQLite."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

if TYPE_CHECKING:
    from apiinone.db.group_writer import GroupWriter
    from apiinone.db.pg_group_writer import PgGroupWriter
    from apiinone.db.pg_reads import PgPointReads
    from apiinone.db.steps import StepsOf

__all__ = ["Database", "now_ms"]

T = TypeVar("T")


def now_ms() -> int:
    return int(time.time() * 1000)


def _sqlite_on_connect(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # SQLAlchemy emits BEGIN itself (see _sqlite_on_begin); the driver must not.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # Writers take the write lock up front, so two writers never deadlock on upgrade.
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """Owns the engine. ``read()`` for queries, ``write()`` for one atomic transaction."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_on_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_on_begin)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._group: GroupWriter | PgGroupWriter | None = None
        self._pool_size = pool_size
        self._point_reads: PgPointReads | None = None

    @property
    def group(self) -> GroupWriter | PgGroupWriter | None:
        """The group-commit writer of the hot path (created on first use); None for an
        in-memory SQLite database, which no second connection can see."""
        if self._group is None:
            from apiinone.db.group_writer import GroupWriter
            from apiinone.db.pg_group_writer import PgGroupWriter

            url = self.engine.url
            if not self.is_sqlite:
                dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
                self._group = PgGroupWriter(dsn)
            elif url.database and url.database != ":memory:":
                self._group = GroupWriter(url.database)
        return self._group

    @property
    def point_reads(self) -> PgPointReads | None:
        """PostgreSQL's pool for the hot path's one-statement reads (``pg_reads.py``);
        None on SQLite."""
        if self._point_reads is None and not self.is_sqlite:
            from apiinone.db.pg_reads import PgPointReads

            dsn = self.engine.url.set(drivername="postgresql")
            self._point_reads = PgPointReads(
                dsn.render_as_string(hide_password=False), size=max(2, self._pool_size // 2)
            )
        return self._point_reads

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One transaction; committed on normal exit, rolled back on an exception."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.connect() as raw:
            conn = await raw.execution_options(sqlite_immediate=True)
            async with conn.begin():
                yield conn

    async def run_steps(self, make: Callable[[], StepsOf[T]]) -> T:
        """One operation of SQL steps (``db/steps.py``) as its own atomic unit: in the next
        group-commit batch, or (an in-memory SQLite database) in a transaction of its own.
        Its value once committed; an operation that raises leaves nothing behind."""
        group = self.group
        if group is not None:
            return await group.run_steps(make)
        from apiinone.db.steps import run_connection

        async with self.write() as conn:
            return await run_connection(conn, make())

    async def ping(self) -> bool:
        from sqlalchemy import text

        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        if self._group is not None:
            await self._group.close()
            self._group = None
        if self._point_reads is not None:
            await self._point_reads.close()
            self._point_reads = None
        await self.engine.dispose()
