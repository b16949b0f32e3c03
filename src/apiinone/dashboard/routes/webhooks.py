"""Webhooks: the signing secret, recent deliveries with their attempts, replay."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from apiinone.api.deps import GatewayDep
from apiinone.dashboard.deps import CsrfChecked, PageUser
from apiinone.dashboard.queries import recent_deliveries
from apiinone.dashboard.web import page, redirect
from apiinone.errors import APIError
from apiinone.webhooks.deliveries import requeue_delivery
from apiinone.webhooks.secrets import ensure_secret, rotate_secret

router = APIRouter(prefix="/webhooks", include_in_schema=False)


@router.get("")
async def webhooks_page(request: Request, user: PageUser, gateway: GatewayDep) -> Response:
    return page(
        request,
        "webhooks.html",
        user=user,
        secret=await ensure_secret(gateway.db, gateway.sealer, user.account.id),
        deliveries=await recent_deliveries(gateway.db, user.account.id, limit=50),
    )


@router.post("/secret/rotate")
async def rotate(request: Request, user: CsrfChecked, gateway: GatewayDep) -> Response:
    await rotate_secret(gateway.db, gateway.sealer, user.account.id)
    return redirect(
        request, "/webhooks", flash=("ok", "New secret: deliveries from now on are signed with it.")
    )


@router.post("/{delivery_id}/replay")
async def replay(
    request: Request, delivery_id: str, user: CsrfChecked, gateway: GatewayDep
) -> Response:
    form = await request.form()
    task_id = form.get("back_to_task")
    target = f"/tasks/{task_id[:64]}" if isinstance(task_id, str) and task_id else "/webhooks"
    try:
        await requeue_delivery(gateway.db, user.account.id, delivery_id[:64])
    except APIError as exc:
        return redirect(request, target, flash=("error", exc.message))
    if gateway.webhooks is not None:
        gateway.webhooks.wake()
    return redirect(request, target, flash=("ok", "Queued again with the same webhook-id."))
