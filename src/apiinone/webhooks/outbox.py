"""Enqueue a webhook inside the transaction that ends a task, so neither happens alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from apiinone.api.render import iso
from apiinone.db.engine import now_ms
from apiinone.db.tables import webhook_deliveries
from apiinone.ids import new_id
from apiinone.webhooks.status import EVENT_TYPES, DeliveryStatus

__all__ = ["enqueue"]


async def enqueue(
    conn: AsyncConnection,
    *,
    account_id: str,
    task_id: str,
    event_type: str,
    url: str,
    payload: Mapping[str, Any],
) -> str:
    """Insert a pending delivery of ``{"type", "timestamp", "data": payload}``; its id
    (``msg_...``) is the ``webhook-id`` of every attempt."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    now = now_ms()
    delivery_id = new_id("msg")
    body = orjson.dumps({"type": event_type, "timestamp": iso(now), "data": dict(payload)})
    await conn.execute(
        insert(webhook_deliveries).values(
            id=delivery_id,
            account_id=account_id,
            task_id=task_id,
            event_type=event_type,
            url=url,
            payload=body.decode("utf-8"),
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            lease_until=None,
            created_at=now,
        )
    )
    return delivery_id
