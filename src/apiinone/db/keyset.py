"""Keyset paging, newest first, by a ``(created_at, id)`` cursor.

A page's cursor is ``"<created_at>:<id>"`` of its last row; the next page holds the rows
strictly older (or as old with a smaller id), so rows written meanwhile never shift a page.
``build`` turns the position after which to read (None: from the newest) into the query;
``shape`` turns a row into its public form.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.engine import Row

from apiinone.db.engine import Database

__all__ = ["Position", "after", "iterate", "page", "parse_cursor"]

Position = tuple[int, str]
Build = Callable[[Position | None], Any]
Shape = Callable[[Row[Any]], dict[str, Any]]


def parse_cursor(cursor: str | None) -> Position | None:
    """The position a cursor names; None (the first page) when it is absent or malformed."""
    if not cursor:
        return None
    at, _, row_id = cursor.partition(":")
    if not at.isascii() or not at.isdigit() or len(at) > 18 or not row_id:
        return None
    return int(at), row_id[:40]


def after(columns: Any, position: Position | None) -> list[Any]:
    """The condition for rows after ``position`` in newest-first order (none for the first)."""
    if position is None:
        return []
    at, row_id = position
    c = columns
    return [or_(c.created_at < at, and_(c.created_at == at, c.id < row_id))]


async def page(
    db: Database, build: Build, shape: Shape, *, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page and the cursor of the next (None at the end)."""
    stmt = build(parse_cursor(cursor)).limit(limit + 1)
    async with db.read() as conn:
        rows = list((await conn.execute(stmt)).fetchall())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = f"{rows[-1].created_at}:{rows[-1].id}" if more and rows else None
    return [shape(r) for r in rows], next_cursor


async def iterate(
    db: Database, build: Build, shape: Shape, *, max_rows: int, chunk: int = 1000
) -> AsyncIterator[dict[str, Any]]:
    """Every matching row, newest first, at most ``max_rows`` (for CSV exports)."""
    position: Position | None = None
    sent = 0
    while sent < max_rows:
        async with db.read() as conn:
            stmt = build(position).limit(min(chunk, max_rows - sent))
            rows = list((await conn.execute(stmt)).fetchall())
        if not rows:
            return
        for row in rows:
            yield shape(row)
        sent += len(rows)
        position = (rows[-1].created_at, rows[-1].id)
