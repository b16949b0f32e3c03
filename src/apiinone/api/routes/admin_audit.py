"""``GET /api/v1/admin/audit``: the audit trail of admin actions, as JSON pages or CSV."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from starlette.responses import Response, StreamingResponse

from apiinone.api.deps import AdminPrincipal, GatewayDep
from apiinone.api.envelope import FastJSON, envelope, iso
from apiinone.api.shapes.envelope import Page, enveloped
from apiinone.api.shapes.logs import CSV_ANSWER, AuditEntry
from apiinone.audit import AuditFilter, audit_page, iter_audit
from apiinone.csv_export import csv_chunks
from apiinone.errors import InvalidRequest

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])

CSV_MAX_ROWS = 100_000
CSV_COLUMNS = (
    "id",
    "created_at",
    "actor",
    "actor_id",
    "via",
    "action",
    "target",
    "before",
    "after",
)


def _instant(value: str | None, param: str) -> int | None:
    """An ISO 8601 date or date-time (UTC unless it names a zone) as ms."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidRequest(f"{param} must be an ISO 8601 date or date-time", param=param) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "created_at": iso(item["created_at"])}


def _csv_row(item: dict[str, Any]) -> dict[str, Any]:
    row = _public(item)
    for side in ("before", "after"):
        row[side] = None if row[side] is None else orjson.dumps(row[side]).decode()
    return row


@router.get(
    "/audit",
    response_model=None,
    responses=enveloped(Page[AuditEntry], content=CSV_ANSWER),
)
async def admin_audit(
    _admin: AdminPrincipal,
    gateway: GatewayDep,
    action: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z_.]+$")] = None,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    target: Annotated[str | None, Query(max_length=120)] = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> FastJSON | Response:
    """Admin actions, newest first: who, when, what, before → after (never a secret).

    ``action`` is a whole action (``credits.grant``) or its group (``credits``); ``actor`` an
    admin account id or ``cli:<user>``; ``since``/``until`` ISO 8601. ``format=csv``
    downloads every matching entry (up to 100,000) instead of one page.
    """
    filters = AuditFilter(
        action=action,
        actor=actor,
        target=target,
        since=_instant(since, "since"),
        until=_instant(until, "until"),
    )
    if format == "csv":

        async def rows() -> Any:
            async for item in iter_audit(gateway.db, filters, max_rows=CSV_MAX_ROWS):
                yield _csv_row(item)

        return StreamingResponse(
            csv_chunks(CSV_COLUMNS, rows()),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )
    items, next_cursor = await audit_page(gateway.db, filters, cursor=cursor, limit=limit)
    return envelope(
        {
            "items": [_public(i) for i in items],
            "next_cursor": next_cursor,
            "has_more": next_cursor is not None,
        }
    )
