"""Database work written once for SQLite and PostgreSQL: a generator of SQL steps.

A step function yields ``(sql, params)`` — SQL with ``?`` placeholders — and is sent back
the first row of the result as a tuple (None when there is none); a step yielded as
``Many(sql, params)`` is sent back every row, as a list. What the function returns is the
operation's value. ``run_sqlite`` drives it on a ``sqlite3`` cursor, ``run_asyncpg`` on an
asyncpg connection (``?`` becomes ``$1, $2, …``), ``run_connection`` on a SQLAlchemy
connection (the in-memory SQLite database of the tests, which no second connection can
see). The group writers run such operations in batches; the steps themselves know nothing
of batches or drivers.

A step yielded as ``PgStep(sql, params)`` is PostgreSQL's alone: one statement (written with
``$1, $2, …``) that does what several steps do, because there every statement is a round
trip. It must always give exactly one row. On SQLite it is not run and is sent back
``SKIPPED``, and the operation goes on with its portable steps. ``run_batch_asyncpg`` runs the
first steps of a batch's operations that are the same ``PgStep`` as one pipelined round trip.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Generator, Sequence
from functools import lru_cache
from typing import Any, TypeVar

__all__ = [
    "SKIPPED",
    "Many",
    "PgStep",
    "Step",
    "Steps",
    "StepsOf",
    "deliver",
    "pg_sql",
    "run_asyncpg",
    "run_batch_asyncpg",
    "run_connection",
    "run_sqlite",
    "skip_fused",
]

T = TypeVar("T")
Step = tuple[str, tuple[Any, ...]]
# An operation whose value is a ``T`` (what a driver returns once it has run the steps).
StepsOf = Generator[Step, Any, T]
Steps = StepsOf[Any]


class Many(tuple[str, tuple[Any, ...]]):
    """A step whose every row is sent back (a list of tuples), not only the first."""

    __slots__ = ()

    def __new__(cls, sql: str, params: tuple[Any, ...]) -> Many:
        return super().__new__(cls, (sql, params))


class PgStep(tuple[str, tuple[Any, ...]]):
    """A step only PostgreSQL runs (``$n`` placeholders, exactly one row back); SQLite's
    drivers send back ``SKIPPED`` instead."""

    __slots__ = ()

    def __new__(cls, sql: str, params: tuple[Any, ...]) -> PgStep:
        return super().__new__(cls, (sql, params))


class _Skipped:
    __slots__ = ()

    def __repr__(self) -> str:
        return "SKIPPED"


SKIPPED: Any = _Skipped()


def skip_fused(steps: StepsOf[T]) -> StepsOf[T]:
    """The same operation with its ``PgStep`` statements sent back ``SKIPPED`` on any
    database: its portable steps alone (what SQLite runs), to hold the fused statements to
    them (``tests/billing/test_fused_steps.py``)."""
    try:
        step = next(steps)
        while True:
            if type(step) is PgStep:
                step = steps.send(SKIPPED)
                continue
            step = steps.send((yield step))
    except StopIteration as stop:
        value: T = stop.value
        return value


def run_sqlite(cur: sqlite3.Cursor, steps: StepsOf[T]) -> T:
    try:
        step = next(steps)
        while True:
            kind = type(step)
            if kind is PgStep:
                step = steps.send(SKIPPED)
                continue
            result = cur.execute(*step)
            step = steps.send(result.fetchall() if kind is Many else result.fetchone())
    except StopIteration as stop:
        value: T = stop.value
        return value


@lru_cache(maxsize=512)
def pg_sql(sql: str) -> str:
    """``?`` placeholders as ``$1, $2, …`` (the steps' SQL has no ``?`` inside literals)."""
    parts = sql.split("?")
    out = parts[0]
    for index, part in enumerate(parts[1:], start=1):
        out += f"${index}{part}"
    return out


async def run_asyncpg(conn: Any, steps: StepsOf[T]) -> T:
    try:
        step = next(steps)
    except StopIteration as stop:
        value: T = stop.value
        return value
    return await _go_on_asyncpg(conn, steps, step)


async def _go_on_asyncpg(conn: Any, steps: StepsOf[T], step: Step) -> T:
    """Run ``step`` and every one after it; the operation's value."""
    try:
        while True:
            sql, params = step
            kind = type(step)
            if kind is Many:
                records = await conn.fetch(pg_sql(sql), *params)
                step = steps.send([tuple(record) for record in records])
            else:
                record = await conn.fetchrow(sql if kind is PgStep else pg_sql(sql), *params)
                step = steps.send(None if record is None else tuple(record))
    except StopIteration as stop:
        value: T = stop.value
        return value


async def run_batch_asyncpg(conn: Any, ops: Sequence[Steps]) -> tuple[list[Any], int]:
    """Every operation's value, in order, in the caller's transaction, and how many first
    steps were pipelined. Where several begin
    with the same ``PgStep``, those first steps go as one pipelined round trip (asyncpg's
    ``fetchmany``), in queue order, before the operations' other steps; the rest run one
    statement at a time. The operations of a batch are concurrent (none waits on another),
    so this is an order they could have run in. An exception is the first one raised."""
    values: list[Any] = [None] * len(ops)
    nexts: list[Step | None] = [None] * len(ops)
    for index, op in enumerate(ops):
        try:
            nexts[index] = next(op)
        except StopIteration as stop:
            values[index] = stop.value
    pipelined = 0
    shared: dict[str, list[int]] = {}
    for index, step in enumerate(nexts):
        if type(step) is PgStep:
            shared.setdefault(step[0], []).append(index)
    for sql, indexes in shared.items():
        if len(indexes) < 2:
            continue
        records = await conn.fetchmany(sql, [nexts[i][1] for i in indexes])  # type: ignore[index]
        if len(records) != len(indexes):
            raise RuntimeError(f"a PgStep gave {len(records)} rows for {len(indexes)} runs")
        pipelined += len(indexes)
        for index, record in zip(indexes, records, strict=True):
            try:
                nexts[index] = ops[index].send(tuple(record))
            except StopIteration as stop:
                values[index], nexts[index] = stop.value, None
    for index, step in enumerate(nexts):
        if step is not None:
            values[index] = await _go_on_asyncpg(conn, ops[index], step)
    return values, pipelined


async def run_connection(conn: Any, steps: StepsOf[T]) -> T:
    """Drive ``steps`` on a SQLAlchemy ``AsyncConnection`` inside its transaction."""
    postgres = conn.dialect.name == "postgresql"
    try:
        step = next(steps)
        while True:
            sql, params = step
            if type(step) is PgStep:
                if not postgres:
                    step = steps.send(SKIPPED)
                    continue
                result = await conn.exec_driver_sql(sql, params)
            else:
                result = await conn.exec_driver_sql(pg_sql(sql) if postgres else sql, params)
            if not result.returns_rows:
                step = steps.send([] if type(step) is Many else None)
            elif type(step) is Many:
                step = steps.send([tuple(row) for row in result.fetchall()])
            else:
                row = result.first()
                step = steps.send(None if row is None else tuple(row))
    except StopIteration as stop:
        value: T = stop.value
        return value


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
