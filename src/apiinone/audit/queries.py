"""Reading the audit trail: newest first, filtered, paged by a (time, id) cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Row

from apiinone.db import keyset
from apiinone.db.engine import Database
from apiinone.db.tables import accounts, audit_log

__all__ = ["AuditFilter", "audit_page", "entry", "iter_audit"]


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


def _select(filters: AuditFilter, position: keyset.Position | None) -> Any:
    c = audit_log.c
    return (
        select(audit_log, accounts.c.email.label("actor_email"))
        .select_from(audit_log.outerjoin(accounts, accounts.c.id == c.actor_id))
        .where(and_(*filters.conditions(), *keyset.after(c, position)))
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
    return await keyset.page(db, partial(_select, filters), entry, cursor=cursor, limit=limit)


def iter_audit(
    db: Database, filters: AuditFilter, *, max_rows: int
) -> AsyncIterator[dict[str, Any]]:
    """Every matching entry, newest first, at most ``max_rows`` (for CSV export)."""
    return keyset.iterate(db, partial(_select, filters), entry, max_rows=max_rows)
