"""``GET /api/v1/requests``: the caller's chat request log, as JSON pages or CSV."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response, StreamingResponse

from apiinone.api.deps import CurrentPrincipal, GatewayDep
from apiinone.api.envelope import FastJSON, envelope, iso
from apiinone.api.params import EpochMsFrom, EpochMsUntil
from apiinone.api.shapes.envelope import Page, enveloped
from apiinone.api.shapes.logs import CSV_ANSWER, ChatRequestRow
from apiinone.auth.powers import FULL_ACCESS, has_full_access
from apiinone.csv_export import csv_chunks
from apiinone.errors import PermissionDenied
from apiinone.requestlog import RequestFilter, iter_requests, request_page

router = APIRouter(prefix="/api/v1", tags=["account"])

CSV_MAX_ROWS = 100_000
CSV_COLUMNS = (
    "id",
    "created_at",
    "key_id",
    "mode",
    "model",
    "stream",
    "status",
    "prompt_tokens",
    "completion_tokens",
    "tokens_estimated",
    "latency_ms",
    "first_token_ms",
    "credits",
    "error",
)


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "created_at": iso(item["created_at"])}


@router.get(
    "/requests",
    response_model=None,
    responses=enveloped(Page[ChatRequestRow], content=CSV_ANSWER),
)
async def list_requests(
    principal: CurrentPrincipal,
    gateway: GatewayDep,
    key_id: Annotated[str | None, Query(max_length=40)] = None,
    model: Annotated[str | None, Query(max_length=120)] = None,
    status: Annotated[Literal["succeeded", "failed", "canceled"] | None, Query()] = None,
    mode: Annotated[Literal["live", "test"] | None, Query()] = None,
    since: EpochMsFrom = None,
    until: EpochMsUntil = None,
    cursor: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> FastJSON | Response:
    """Chat requests of the caller's account, newest first: key, model, tokens, latency,
    time to first token, status and credits. Like the ledger, the live log needs a full
    access key; a test key reads the test log."""
    log_mode = mode or principal.mode
    if not has_full_access(principal) and not (log_mode == "test" and principal.is_test):
        raise PermissionDenied(
            f"The {log_mode} request log needs {FULL_ACCESS}"
            + ("; a test key reads the test log" if principal.is_test else ""),
            param="mode",
        )
    filters = RequestFilter(
        mode=log_mode, key_id=key_id, model=model, status=status, since=since, until=until
    )
    if format == "csv":

        async def rows() -> Any:
            async for item in iter_requests(
                gateway.db, principal.account_id, filters, max_rows=CSV_MAX_ROWS
            ):
                yield _public(item)

        return StreamingResponse(
            csv_chunks(CSV_COLUMNS, rows()),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="requests.csv"'},
        )
    items, next_cursor = await request_page(
        gateway.db, principal.account_id, filters, cursor=cursor, limit=limit
    )
    return envelope(
        {
            "items": [_public(i) for i in items],
            "next_cursor": next_cursor,
            "has_more": next_cursor is not None,
        }
    )
