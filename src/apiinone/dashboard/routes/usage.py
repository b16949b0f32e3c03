"""Usage: the ledger with filters, paged, and the same rows as CSV."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from apiinone.api.deps import GatewayDep
from apiinone.api.params import ascii_int
from apiinone.billing.statement import ledger_row
from apiinone.csv_export import csv_chunks
from apiinone.dashboard.deps import PageUser
from apiinone.dashboard.queries import (
    LEDGER_KINDS,
    LedgerFilter,
    iter_ledger,
    ledger_page,
    parse_day,
)
from apiinone.dashboard.web import page, secure_headers

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
CSV_MAX_ROWS = 100_000
CSV_COLUMNS = (
    "id",
    "created_at",
    "kind",
    "mode",
    "amount",
    "held_delta",
    "balance_after",
    "model",
    "task_id",
    "key_id",
    "hold_id",
    "reason",
)


def _filters(
    mode: str, kind: str, model: str, task_id: str, since: str, until: str
) -> LedgerFilter:
    return LedgerFilter(
        mode="test" if mode == "test" else "live",
        kind=kind if kind in LEDGER_KINDS else None,
        model=model.strip()[:120] or None,
        task_id=task_id.strip()[:64] or None,
        since=parse_day(since),
        until=parse_day(until, end=True),
    )


@router.get("/usage")
async def usage_page(
    request: Request,
    user: PageUser,
    gateway: GatewayDep,
    mode: str = "live",
    kind: str = "",
    model: str = "",
    task_id: str = "",
    since: str = "",
    until: str = "",
    before: str = "",
) -> Response:
    filters = _filters(mode, kind, model, task_id, since, until)
    rows, next_before = await ledger_page(
        gateway.db,
        user.account.id,
        filters,
        before=ascii_int(before),
        limit=PAGE_SIZE,
    )
    query = {
        "mode": filters.mode,
        "kind": filters.kind or "",
        "model": model,
        "task_id": task_id,
        "since": since,
        "until": until,
    }
    return page(
        request,
        "usage.html",
        user=user,
        rows=[ledger_row(r) for r in rows],
        query=query,
        kinds=LEDGER_KINDS,
        models=[m.slug for m in gateway.catalog.models],
        next_before=next_before,
    )


@router.get("/usage.csv")
async def usage_csv(
    request: Request,
    user: PageUser,
    gateway: GatewayDep,
    mode: str = "live",
    kind: str = "",
    model: str = "",
    task_id: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    filters = _filters(mode, kind, model, task_id, since, until)

    async def rows() -> AsyncIterator[dict[str, Any]]:
        async for row in iter_ledger(gateway.db, user.account.id, filters, max_rows=CSV_MAX_ROWS):
            yield ledger_row(row)

    response = StreamingResponse(
        csv_chunks(CSV_COLUMNS, rows()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="usage-{filters.mode}.csv"'},
    )
    return secure_headers(response, gateway.settings)
