"""What the API shows of a task's webhooks: each delivery with its attempt log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from apiinone.db.engine import Database
from apiinone.db.tables import tasks, webhook_attempts, webhook_deliveries
from apiinone.errors import NotFound
from apiinone.wire import iso

__all__ = ["deliveries_for_task"]


async def deliveries_for_task(db: Database, account_id: str, task_id: str) -> list[dict[str, Any]]:
    """The task's deliveries, oldest first; NotFound for a missing or another account's task."""
    if len(task_id) > 40:
        raise NotFound(f"No task {task_id[:40]}…")
    d, a = webhook_deliveries.c, webhook_attempts.c
    async with db.read() as conn:
        owner = (
            await conn.execute(select(tasks.c.account_id).where(tasks.c.id == task_id))
        ).scalar()
        if owner != account_id:
            raise NotFound(f"No task {task_id}")
        deliveries = (
            await conn.execute(
                select(webhook_deliveries)
                .where(d.task_id == task_id, d.account_id == account_id)
                .order_by(d.created_at, d.id)
            )
        ).fetchall()
        ids = [row.id for row in deliveries]
        attempts = (
            (
                await conn.execute(
                    select(webhook_attempts)
                    .where(a.delivery_id.in_(ids))
                    .order_by(a.delivery_id, a.attempt, a.id)
                )
            ).fetchall()
            if ids
            else []
        )
    logs: dict[str, list[dict[str, Any]]] = {delivery_id: [] for delivery_id in ids}
    for row in attempts:
        logs[row.delivery_id].append(
            {
                "attempt": int(row.attempt),
                "at": iso(int(row.started_at)),
                "duration_ms": int(row.duration_ms),
                "status_code": row.status_code,
                "error": row.error,
                "success": bool(row.success),
            }
        )
    return [
        {
            "id": row.id,
            "event_type": row.event_type,
            "url": row.url,
            "status": row.status,
            "attempts": int(row.attempts),
            "next_attempt_at": iso(row.next_attempt_at),
            "created_at": iso(int(row.created_at)),
            "completed_at": iso(row.completed_at),
            "last_status_code": row.last_status_code,
            "attempt_log": logs[row.id],
        }
        for row in deliveries
    ]
