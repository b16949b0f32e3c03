"""The overview: balances, held credits, and spend by day and by model."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from starlette.responses import Response

from apiinone.api.deps import GatewayDep
from apiinone.auth.keys import list_keys
from apiinone.billing.ledger import get_wallet
from apiinone.dashboard.charts import day_chart, model_bars
from apiinone.dashboard.deps import PageUser
from apiinone.dashboard.queries import spend_by_day, spend_by_model
from apiinone.dashboard.web import page
from apiinone.tasks import lifecycle
from apiinone.tasks.task_object import task_object

router = APIRouter(include_in_schema=False)


@router.get("/")
async def overview(
    request: Request,
    user: PageUser,
    gateway: GatewayDep,
    mode: Literal["live", "test"] = "live",
    key: str = "",
) -> Response:
    account_id = user.account.id
    async with gateway.db.read() as conn:
        live = await get_wallet(conn, account_id, "live")
        test = await get_wallet(conn, account_id, "test")
    keys = await list_keys(gateway.db, account_id)
    key_id = key if any(k.id == key for k in keys) else None
    days = await spend_by_day(gateway.db, account_id, mode, days=30, key_id=key_id)
    models = await spend_by_model(gateway.db, account_id, mode, days=30, key_id=key_id)
    recent = await lifecycle.list_tasks(
        gateway.db, account_id=account_id, statuses=None, model=None, before=None, limit=6
    )
    base = str(request.base_url)
    return page(
        request,
        "overview.html",
        user=user,
        mode=mode,
        key=key_id or "",
        keys=[{"id": k.id, "label": f"{k.name or k.id} ({k.prefix}…{k.last4})"} for k in keys],
        live=live,
        test=test,
        chart=day_chart(days),
        models=model_bars(models),
        tasks=[task_object(r, base) for r in recent],
    )
