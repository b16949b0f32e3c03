"""Reading the audit trail: newest first, filtered, paged by a (time, id) cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Row

from apiinone.db.engine import Database
from apiinone.db.tables import accounts, audit_log

__all__ = ["AuditFilter", "audit_page", "entry", "iter_audit", "parse_cursor"]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """``action`` matches a whole action (``credits.grant``) or its group (``credits``)."""

    action: str | None = None
    actor: str | None = None
    target: str | None = None
    since: int | None = None
    until: int | None = None

    def conditions(self) -> list[Any]:
        c = audit_log.c
        out: list[Any] = []
        if self.action:
            if "." in self.action:
                out.append(c.action == self.action)
            else:
                out.append(c.action.startswith(self.action + ".", autoescape=True))
        if self.actor:
            out.append(or_(c.actor_id == self.actor, c.actor == self.actor))
        if self.target:
            out.append(c.target == self.target)
        if self.since is not None:
            out.append(c.created_at >= self.since)
        if self.until is not None:
            out.append(c.created_at < self.until)
        return out


def parse_cursor(cursor: str | None) -> tuple[int, str] | None:
    """``"<created_at>:<id>"`` of the last entry seen; None (first page) when malformed."""
    if not cursor:
        return None
    at, _, entry_id = cursor.partition(":")
    if not at.isascii() or not at.isdigit() or len(at) > 18 or not entry_id:
        return None
    return int(at), entry_id[:40]


def _select(filters: AuditFilter, after: tuple[int, str] | None) -> Any:
    c = audit_log.c
    conditions = filters.conditions()
    if after is not None:
        at, entry_id = after
        conditions.append(or_(c.created_at < at, and_(c.created_at == at, c.id < entry_id)))
    return (
        select(audit_log, accounts.c.email.label("actor_email"))
        .select_from(audit_log.outerjoin(accounts, accounts.c.id == c.actor_id))
        .where(and_(*conditions))
        .order_by(c.created_at.desc(), c.id.desc())
    )


def _state(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def entry(row: Row[Any]) -> dict[str, Any]:
    """The public form of one row (API and console)."""
    return {
        "id": row.id,
        "created_at": row.created_at,
        "actor": row.actor_email or row.actor,
        "actor_id": row.actor_id,
        "via": row.via,
        "action": row.action,
        "target": row.target,
        "before": _state(row.before),
        "after": _state(row.after),
    }


async def audit_page(
    db: Database, filters: AuditFilter, *, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page, newest first, and the cursor of the next page (None at the end)."""
    stmt = _select(filters, parse_cursor(cursor)).limit(limit + 1)
    async with db.read() as conn:
        rows = list((await conn.execute(stmt)).fetchall())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = f"{rows[-1].created_at}:{rows[-1].id}" if more and rows else None
    return [entry(r) for r in rows], next_cursor


async def iter_audit(
    db: Database, filters: AuditFilter, *, max_rows: int, chunk: int = 1000
) -> AsyncIterator[dict[str, Any]]:
    """Every matching entry, newest first, at most ``max_rows`` (for CSV export)."""
    after: tuple[int, str] | None = None
    sent = 0
    while sent < max_rows:
        async with db.read() as conn:
            stmt = _select(filters, after).limit(min(chunk, max_rows - sent))
            rows = list((await conn.execute(stmt)).fetchall())
        if not rows:
            return
        for row in rows:
            yield entry(row)
        sent += len(rows)
        after = (rows[-1].created_at, rows[-1].id)
