"""Read-only queries behind the pages: spend charts, ledger filters, deliveries, admin lists."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Row, and_, func, or_, select

from apiinone.db.engine import Database, now_ms
from apiinone.db.tables import accounts, ledger, tasks, wallets, webhook_deliveries

__all__ = [
    "DAY_MS",
    "LEDGER_KINDS",
    "LedgerFilter",
    "account_rows",
    "admin_tasks",
    "iter_ledger",
    "ledger_page",
    "parse_day",
    "recent_deliveries",
    "spend_by_day",
    "spend_by_model",
]

DAY_MS = 86_400_000
LEDGER_KINDS = ("grant", "bonus", "deduct", "hold", "capture", "release", "topup", "redeem")


def parse_day(value: str | None, *, end: bool = False) -> int | None:
    """``YYYY-MM-DD`` (UTC) as ms: the day's start, or the next day's start with ``end``."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    ms = int(day.timestamp() * 1000)
    return ms + DAY_MS if end else ms


@dataclass(frozen=True, slots=True)
class LedgerFilter:
    mode: str = "live"
    kind: str | None = None
    model: str | None = None
    task_id: str | None = None
    since: int | None = None
    until: int | None = None

    def conditions(self, account_id: str) -> list[Any]:
        c = ledger.c
        out: list[Any] = [c.account_id == account_id, c.mode == self.mode]
        if self.kind:
            out.append(c.kind == self.kind)
        if self.model:
            out.append(c.model == self.model)
        if self.task_id:
            out.append(c.task_id == self.task_id)
        if self.since is not None:
            out.append(c.created_at >= self.since)
        if self.until is not None:
            out.append(c.created_at < self.until)
        return out


async def ledger_page(
    db: Database, account_id: str, filters: LedgerFilter, *, before: int | None, limit: int
) -> tuple[list[Row[Any]], int | None]:
    """Newest first; returns the rows and the cursor of the next page."""
    conditions = filters.conditions(account_id)
    if before is not None:
        conditions.append(ledger.c.id < before)
    stmt = select(ledger).where(and_(*conditions)).order_by(ledger.c.id.desc()).limit(limit + 1)
    async with db.read() as conn:
        rows = list((await conn.execute(stmt)).fetchall())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (int(rows[-1].id) if more and rows else None)


async def iter_ledger(
    db: Database, account_id: str, filters: LedgerFilter, *, max_rows: int, chunk: int = 1000
) -> AsyncIterator[Row[Any]]:
    """Every matching row, newest first, read a chunk at a time (for CSV export)."""
    before: int | None = None
    sent = 0
    while sent < max_rows:
        rows, before = await ledger_page(
            db, account_id, filters, before=before, limit=min(chunk, max_rows - sent)
        )
        for row in rows:
            yield row
        sent += len(rows)
        if before is None:
            return


def _spend_conditions(
    account_id: str, mode: str, since: int, key_id: str | None = None
) -> list[Any]:
    c = ledger.c
    out = [c.account_id == account_id, c.mode == mode, c.kind == "capture", c.created_at >= since]
    if key_id:
        out.append(c.key_id == key_id)
    return out


async def spend_by_day(
    db: Database, account_id: str, mode: str, *, days: int = 30, key_id: str | None = None
) -> list[tuple[int, int]]:
    """(day start in ms, credits spent) for each of the last ``days`` UTC days, oldest first."""
    today = now_ms() // DAY_MS * DAY_MS
    since = today - (days - 1) * DAY_MS
    day = (ledger.c.created_at // DAY_MS).label("day")
    stmt = (
        select(day, func.sum(-ledger.c.held_delta).label("spent"))
        .where(and_(*_spend_conditions(account_id, mode, since, key_id)))
        .group_by(day)
    )
    async with db.read() as conn:
        found = {int(r.day): int(r.spent or 0) for r in (await conn.execute(stmt)).fetchall()}
    return [(since + i * DAY_MS, found.get((since + i * DAY_MS) // DAY_MS, 0)) for i in range(days)]


async def spend_by_model(
    db: Database,
    account_id: str,
    mode: str,
    *,
    days: int = 30,
    top: int = 8,
    key_id: str | None = None,
) -> list[tuple[str, int]]:
    """The models with the most credits spent over the last ``days`` days, most first."""
    since = now_ms() // DAY_MS * DAY_MS - (days - 1) * DAY_MS
    spent = func.sum(-ledger.c.held_delta).label("spent")
    stmt = (
        select(ledger.c.model, spent)
        .where(and_(*_spend_conditions(account_id, mode, since, key_id)))
        .group_by(ledger.c.model)
        .order_by(spent.desc())
        .limit(top)
    )
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).fetchall()
    return [(r.model or "(none)", int(r.spent or 0)) for r in rows if int(r.spent or 0) > 0]


async def recent_deliveries(db: Database, account_id: str, *, limit: int = 50) -> list[Row[Any]]:
    d = webhook_deliveries.c
    stmt = (
        select(
            d.id,
            d.task_id,
            d.event_type,
            d.url,
            d.status,
            d.attempts,
            d.last_status_code,
            d.next_attempt_at,
            d.created_at,
            d.completed_at,
        )
        .where(d.account_id == account_id)
        .order_by(d.created_at.desc(), d.id.desc())
        .limit(limit)
    )
    async with db.read() as conn:
        found = list((await conn.execute(stmt)).fetchall())
    return cast(list[Row[Any]], found)


async def account_rows(
    db: Database, *, search: str | None, limit: int, offset: int = 0
) -> list[Row[Any]]:
    """Accounts with their live and test balances, newest first (admin)."""
    live = wallets.alias("live")
    test = wallets.alias("test")
    stmt = (
        select(
            accounts.c.id,
            accounts.c.email,
            accounts.c.name,
            accounts.c.is_admin,
            accounts.c.disabled,
            accounts.c.created_at,
            live.c.balance.label("live_balance"),
            live.c.held.label("live_held"),
            test.c.balance.label("test_balance"),
        )
        .select_from(
            accounts.outerjoin(
                live, and_(live.c.account_id == accounts.c.id, live.c.mode == "live")
            ).outerjoin(test, and_(test.c.account_id == accounts.c.id, test.c.mode == "test"))
        )
        .order_by(accounts.c.created_at.desc(), accounts.c.id)
        .limit(limit)
        .offset(offset)
    )
    if search:
        pattern = f"%{search.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(accounts.c.email).like(pattern), accounts.c.id == search.strip())
        )
    async with db.read() as conn:
        found = list((await conn.execute(stmt)).fetchall())
    return cast(list[Row[Any]], found)


async def admin_tasks(
    db: Database,
    *,
    statuses: Sequence[str] | None,
    model: str | None,
    account: str | None,
    before: tuple[int, str] | None,
    limit: int,
    task_id: str | None = None,
) -> list[Row[Any]]:
    """Tasks of every account, newest first, with the owner's email (admin)."""
    t = tasks.c
    conditions: list[Any] = []
    if task_id is not None:
        conditions.append(t.id == task_id[:40])
    if statuses:
        conditions.append(t.status.in_(statuses))
    if model:
        conditions.append(t.model == model)
    if account:
        needle = account.strip().lower()
        conditions.append(or_(t.account_id == account.strip(), accounts.c.email == needle))
    if before is not None:
        created, task_id = before
        conditions.append(
            or_(t.created_at < created, and_(t.created_at == created, t.id < task_id))
        )
    stmt = (
        select(tasks, accounts.c.email.label("account_email"))
        .join(accounts, accounts.c.id == t.account_id)
        .order_by(t.created_at.desc(), t.id.desc())
        .limit(limit)
    )
    if conditions:
        stmt = stmt.where(and_(*conditions))
    async with db.read() as conn:
        return list((await conn.execute(stmt)).fetchall())
