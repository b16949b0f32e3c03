"""The request log: every chat request of the account, filtered, paged, and as CSV."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from apiinone.api.deps import GatewayDep
from apiinone.api.envelope import iso
from apiinone.auth.keys import list_keys
from apiinone.csv_export import csv_chunks
from apiinone.dashboard.deps import PageUser
from apiinone.dashboard.queries import parse_day
from apiinone.dashboard.web import page, secure_headers
from apiinone.requestlog import RequestFilter, iter_requests, request_page
from apiinone.requestlog.queries import STATUSES

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
CSV_MAX_ROWS = 100_000
CSV_COLUMNS = (
    "id",
    "time",
    "key_id",
    "model",
    "stream",
    "status",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "first_token_ms",
    "credits",
    "error",
)


def _filters(mode: str, key: str, model: str, status: str, since: str, until: str) -> RequestFilter:
    return RequestFilter(
        mode="test" if mode == "test" else "live",
        key_id=key.strip()[:40] or None,
        model=model.strip()[:120] or None,
        status=status if status in STATUSES else None,
        since=parse_day(since),
        until=parse_day(until, end=True),
    )


def _row(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "time": iso(item["created_at"])}


@router.get("/requests")
async def requests_page(
    request: Request,
    user: PageUser,
    gateway: GatewayDep,
    mode: str = "live",
    key: str = "",
    model: str = "",
    status: str = "",
    since: str = "",
    until: str = "",
    cursor: str = "",
) -> Response:
    filters = _filters(mode, key, model, status, since, until)
    items, next_cursor = await request_page(
        gateway.db, user.account.id, filters, cursor=cursor[:80] or None, limit=PAGE_SIZE
    )
    query = {
        "mode": filters.mode,
        "key": filters.key_id or "",
        "model": model,
        "status": filters.status or "",
        "since": since,
        "until": until,
    }
    keys = await list_keys(gateway.db, user.account.id)
    return page(
        request,
        "requests.html",
        user=user,
        rows=[_row(i) for i in items],
        query=query,
        qs=urlencode(query),
        statuses=STATUSES,
        keys=[{"id": k.id, "label": f"{k.name or k.id} ({k.prefix}…{k.last4})"} for k in keys],
        models=[m.slug for m in gateway.catalog.models if m.kind == "chat"],
        next_cursor=next_cursor,
        retention_days=f"{gateway.settings.request_log_retention_days:g}",
    )


@router.get("/requests.csv")
async def requests_csv(
    request: Request,
    user: PageUser,
    gateway: GatewayDep,
    mode: str = "live",
    key: str = "",
    model: str = "",
    status: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    filters = _filters(mode, key, model, status, since, until)

    async def rows() -> Any:
        async for item in iter_requests(
            gateway.db, user.account.id, filters, max_rows=CSV_MAX_ROWS
        ):
            yield _row(item)

    response = StreamingResponse(
        csv_chunks(CSV_COLUMNS, rows()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="requests-{filters.mode}.csv"'},
    )
    return secure_headers(response, gateway.settings)
