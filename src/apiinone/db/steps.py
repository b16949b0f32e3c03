"""Database work written once for SQLite and PostgreSQL: a generator of SQL steps.

A step function yields ``(sql, params)`` — SQL with ``?`` placeholders — and is sent back
the first row of the result as a tuple (None when there is none); a step yielded as
``Many(sql, params)`` is sent back every row, as a list. What the function returns is the
operation's value. ``run_sqlite`` drives it on a ``sqlite3`` cursor, ``run_asyncpg`` on an
asyncpg connection (``?`` becomes ``$1, $2, …``), ``run_connection`` on a SQLAlchemy
connection (the in-memory SQLite database of the tests, which no second connection can
see). The group writers run such operations in batches; the steps themselves know nothing
of batches or drivers.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Generator, Sequence
from functools import lru_cache
from typing import Any

__all__ = ["Many", "Steps", "deliver", "pg_sql", "run_asyncpg", "run_connection", "run_sqlite"]

Steps = Generator[tuple[str, tuple[Any, ...]], Any, Any]


class Many(tuple[str, tuple[Any, ...]]):
    """A step whose every row is sent back (a list of tuples), not only the first."""

    __slots__ = ()

    def __new__(cls, sql: str, params: tuple[Any, ...]) -> Many:
        return super().__new__(cls, (sql, params))


def run_sqlite(cur: sqlite3.Cursor, steps: Steps) -> Any:
    try:
        step = next(steps)
        while True:
            result = cur.execute(*step)
            step = steps.send(result.fetchall() if type(step) is Many else result.fetchone())
    except StopIteration as stop:
        return stop.value


@lru_cache(maxsize=512)
def pg_sql(sql: str) -> str:
    """``?`` placeholders as ``$1, $2, …`` (the steps' SQL has no ``?`` inside literals)."""
    parts = sql.split("?")
    out = parts[0]
    for index, part in enumerate(parts[1:], start=1):
        out += f"${index}{part}"
    return out


async def run_asyncpg(conn: Any, steps: Steps) -> Any:
    try:
        step = next(steps)
        while True:
            sql, params = step
            if type(step) is Many:
                records = await conn.fetch(pg_sql(sql), *params)
                step = steps.send([tuple(record) for record in records])
            else:
                record = await conn.fetchrow(pg_sql(sql), *params)
                step = steps.send(None if record is None else tuple(record))
    except StopIteration as stop:
        return stop.value


async def run_connection(conn: Any, steps: Steps) -> Any:
    """Drive ``steps`` on a SQLAlchemy ``AsyncConnection`` inside its transaction."""
    postgres = conn.dialect.name == "postgresql"
    try:
        step = next(steps)
        while True:
            sql, params = step
            result = await conn.exec_driver_sql(pg_sql(sql) if postgres else sql, params)
            if not result.returns_rows:
                step = steps.send([] if type(step) is Many else None)
            elif type(step) is Many:
                step = steps.send([tuple(row) for row in result.fetchall()])
            else:
                row = result.first()
                step = steps.send(None if row is None else tuple(row))
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
