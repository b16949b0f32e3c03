"""The gateway's background loops: the task worker and the webhook dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from apiinone.gateway import Gateway
from apiinone.tasks.worker import TaskWorker
from apiinone.webhooks.dispatcher import WebhookDispatcher

__all__ = ["running_background"]


@contextlib.asynccontextmanager
async def running_background(gateway: Gateway) -> AsyncIterator[TaskWorker]:
    settings = gateway.settings
    dispatcher = WebhookDispatcher(
        gateway.db,
        lambda: gateway.fetch_session,
        schedule=settings.webhook_retry_schedule,
        timeout=settings.webhook_timeout_seconds,
        guard=gateway.guard,
    )
    gateway.webhooks = dispatcher
    worker = TaskWorker(gateway)
    stop = asyncio.Event()
    loops = [
        asyncio.create_task(worker.run(stop), name="task-worker"),
        asyncio.create_task(dispatcher.run(stop), name="webhook-dispatcher"),
    ]
    try:
        yield worker
    finally:
        stop.set()
        gateway.signals.work_available()
        dispatcher.wake()
        await asyncio.gather(*loops, return_exceptions=True)
