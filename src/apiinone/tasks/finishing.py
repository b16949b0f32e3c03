"""Ending a task: the terminal transition, its settlement and its webhook, then signals."""

from __future__ import annotations

from apiinone.db.steps import Steps
from apiinone.runtime import Runtime
from apiinone.tasks import lifecycle
from apiinone.tasks.rows import TaskRow
from apiinone.tasks.task_object import task_object
from apiinone.webhooks.outbox import enqueue_steps

__all__ = ["finish_task"]


async def finish_task(
    gateway: Runtime, task_id: str, outcome: lifecycle.Finish, owner: str | None
) -> TaskRow | None:
    """Finish an active task once; None if it had already ended."""

    def on_terminal(row: TaskRow) -> Steps | None:
        if not row.callback_url:
            return None
        return enqueue_steps(
            account_id=row.account_id,
            task_id=row.id,
            event_type=lifecycle.event_type(row.status),
            url=row.callback_url,
            payload=task_object(row, gateway.settings.base_url),
        )

    row = await lifecycle.finish(gateway.db, task_id, outcome, owner=owner, on_terminal=on_terminal)
    if row is not None:
        await gateway.task_changed(task_id)
        if row.callback_url and gateway.webhooks is not None:
            gateway.webhooks.wake()
    return row
