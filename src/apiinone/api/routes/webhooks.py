"""Task webhooks: the delivery log, manual redelivery, and the account's signing secret."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from apiinone.api.deps import CurrentPrincipal, FullAccessPrincipal, GatewayDep
from apiinone.api.envelope import FastJSON, envelope
from apiinone.api.shapes.account import WebhookSecret
from apiinone.api.shapes.envelope import Items, enveloped
from apiinone.api.shapes.tasks import Delivery, Redelivery
from apiinone.webhooks.deliveries import requeue_delivery
from apiinone.webhooks.queries import deliveries_for_task
from apiinone.webhooks.secrets import ensure_secret, rotate_secret

router = APIRouter(prefix="/api/v1", tags=["webhooks"])

TaskId = Annotated[str, Path(max_length=64)]
DeliveryId = Annotated[str, Path(max_length=64)]


@router.get("/tasks/{task_id}/webhooks", responses=enveloped(Items[Delivery]))
async def list_deliveries(
    task_id: TaskId, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    """Every webhook delivery of the task, with each attempt's status code or error."""
    items = await deliveries_for_task(gateway.db, principal.account_id, task_id)
    return envelope({"items": items})


@router.post(
    "/tasks/{task_id}/webhooks/{delivery_id}/redeliver",
    status_code=202,
    responses=enveloped(Redelivery, 202),
)
async def redeliver(
    task_id: TaskId, delivery_id: DeliveryId, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    """Send a delivery again with the same ``webhook-id``."""
    status = await requeue_delivery(gateway.db, principal.account_id, delivery_id, task_id=task_id)
    dispatcher = getattr(gateway, "webhooks", None)
    if dispatcher is not None:
        dispatcher.wake()
    return envelope({"id": delivery_id, "status": status.value}, status_code=202)


@router.get("/account/webhook-secret", responses=enveloped(WebhookSecret))
async def read_webhook_secret(principal: FullAccessPrincipal, gateway: GatewayDep) -> FastJSON:
    """The secret that signs this account's webhooks (created on first read). Restricted and
    test keys get 403: whoever holds the secret can sign deliveries as this gateway."""
    return envelope(
        {"secret": await ensure_secret(gateway.db, gateway.sealer, principal.account_id)}
    )


@router.post("/account/webhook-secret/rotate", responses=enveloped(WebhookSecret))
async def rotate_webhook_secret(principal: FullAccessPrincipal, gateway: GatewayDep) -> FastJSON:
    """A new secret; deliveries signed from now on use it."""
    return envelope(
        {"secret": await rotate_secret(gateway.db, gateway.sealer, principal.account_id)}
    )
