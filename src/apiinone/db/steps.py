"""Database work written once for SQLite and PostgreSQL: a generator of SQL steps.

A step function yields ``(sql, params)`` — SQL with ``?`` placeholders — and is sent back
the first row of the result as a tuple (None when there is none); what it returns is the
operation's value. ``run_sqlite`` drives it on a ``sqlite3`` cursor, ``run_asyncpg`` on an
asyncpg connection (``?`` becomes ``$1, $2, …``). The group writers run such operations in
batches; the steps themselves know nothing of batches or drivers.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Generator, Sequence
from functools import lru_cache
from typing import Any

__all__ = ["Steps", "deliver", "pg_sql", "run_asyncpg", "run_sqlite"]

Steps = Generator[tuple[str, tuple[Any, ...]], tuple[Any, ...] | None, Any]


def run_sqlite(cur: sqlite3.Cursor, steps: Steps) -> Any:
    try:
        sql, params = next(steps)
        while True:
            row = cur.execute(sql, params).fetchone()
            sql, params = steps.send(row)
    except StopIteration as stop:
        return stop.value


@lru_cache(maxsize=256)
def pg_sql(sql: str) -> str:
    """``?`` placeholders as ``$1, $2, …`` (the steps' SQL has no ``?`` inside literals)."""
    parts = sql.split("?")
    out = parts[0]
    for index, part in enumerate(parts[1:], start=1):
        out += f"${index}{part}"
    return out


async def run_asyncpg(conn: Any, steps: Steps) -> Any:
    try:
        sql, params = next(steps)
        while True:
            record = await conn.fetchrow(pg_sql(sql), *params)
            sql, params = steps.send(None if record is None else tuple(record))
    except StopIteration as stop:
        return stop.value


def deliver(
    batch: Sequence[tuple[Any, asyncio.Future[Any]]], outcomes: Sequence[tuple[bool, Any]]
) -> None:
    """Hand each waiting caller of a written batch its value or its exception."""
    for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
