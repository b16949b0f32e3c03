"""The admin console's audit page: admin actions with filters, paged, and as CSV."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from apiinone.api.deps import GatewayDep
from apiinone.api.envelope import iso
from apiinone.audit import ACTIONS, AuditFilter, audit_page, iter_audit
from apiinone.csv_export import csv_chunks
from apiinone.dashboard.deps import AdminUser
from apiinone.dashboard.queries import parse_day
from apiinone.dashboard.web import page, secure_headers

router = APIRouter(prefix="/admin", include_in_schema=False)

PAGE_SIZE = 50
CSV_MAX_ROWS = 100_000
CSV_COLUMNS = ("id", "time", "actor", "via", "action", "target", "before", "after")
GROUPS = tuple(dict.fromkeys(a.split(".", 1)[0] for a in ACTIONS))


def _filters(action: str, actor: str, target: str, since: str, until: str) -> AuditFilter:
    known = action in ACTIONS or action in GROUPS
    return AuditFilter(
        action=action if known else None,
        actor=actor.strip()[:120] or None,
        target=target.strip()[:120] or None,
        since=parse_day(since),
        until=parse_day(until, end=True),
    )


def _text(state: Any) -> str:
    if state is None:
        return ""
    return orjson.dumps(state, option=orjson.OPT_SORT_KEYS).decode()


def _row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        **item,
        "time": iso(item["created_at"]),
        "before": _text(item["before"]),
        "after": _text(item["after"]),
    }


@router.get("/audit")
async def audit_list(
    request: Request,
    user: AdminUser,
    gateway: GatewayDep,
    action: str = "",
    actor: str = "",
    target: str = "",
    since: str = "",
    until: str = "",
    cursor: str = "",
) -> Response:
    filters = _filters(action, actor, target, since, until)
    items, next_cursor = await audit_page(
        gateway.db, filters, cursor=cursor[:80] or None, limit=PAGE_SIZE
    )
    query = {
        "action": filters.action or "",
        "actor": actor,
        "target": target,
        "since": since,
        "until": until,
    }
    return page(
        request,
        "admin/audit.html",
        user=user,
        entries=[_row(i) for i in items],
        query=query,
        qs=urlencode(query),
        actions=ACTIONS,
        groups=GROUPS,
        next_cursor=next_cursor,
    )


@router.get("/audit.csv")
async def audit_csv(
    request: Request,
    user: AdminUser,
    gateway: GatewayDep,
    action: str = "",
    actor: str = "",
    target: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    filters = _filters(action, actor, target, since, until)

    async def rows() -> Any:
        async for item in iter_audit(gateway.db, filters, max_rows=CSV_MAX_ROWS):
            yield _row(item)

    response = StreamingResponse(
        csv_chunks(CSV_COLUMNS, rows()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
    return secure_headers(response, gateway.settings)
