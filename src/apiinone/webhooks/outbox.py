"""Enqueue a webhook inside the transaction that ends a task, so neither happens alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from apiinone.db.engine import now_ms
from apiinone.db.steps import Steps, run_connection
from apiinone.ids import new_id
from apiinone.webhooks.status import EVENT_TYPES, DeliveryStatus
from apiinone.wire import iso

__all__ = ["enqueue", "enqueue_steps"]

_INSERT = (
    "INSERT INTO webhook_deliveries (id, account_id, task_id, event_type, url, payload,"
    " status, attempts, next_attempt_at, lease_until, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, NULL, ?)"
)


def enqueue_steps(
    *, account_id: str, task_id: str, event_type: str, url: str, payload: Mapping[str, Any]
) -> Steps:
    """Insert a pending delivery of ``{"type", "timestamp", "data": payload}``; its id
    (``msg_...``) is the ``webhook-id`` of every attempt."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    now = now_ms()
    delivery_id = new_id("msg")
    body = orjson.dumps({"type": event_type, "timestamp": iso(now), "data": dict(payload)})
    pending = DeliveryStatus.PENDING.value
    yield _INSERT, (delivery_id, account_id, task_id, event_type, url, body.decode(), pending,
                    now, now)  # fmt: skip
    return delivery_id


async def enqueue(
    conn: AsyncConnection,
    *,
    account_id: str,
    task_id: str,
    event_type: str,
    url: str,
    payload: Mapping[str, Any],
) -> str:
    """``enqueue_steps`` inside the caller's transaction."""
    delivery_id: str = await run_connection(
        conn,
        enqueue_steps(
            account_id=account_id, task_id=task_id, event_type=event_type, url=url, payload=payload
        ),
    )
    return delivery_id
