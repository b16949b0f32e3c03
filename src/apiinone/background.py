"""The gateway's background loops: the task worker and webhook delivery (unless workers
are disabled for this process), the bus listener and the chat hold lease (always)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from apiinone.gateway import Gateway
from apiinone.tasks.worker import TaskWorker
from apiinone.webhooks.dispatcher import WebhookDispatcher

__all__ = ["running_background"]

log = logging.getLogger("apiinone.background")


@contextlib.asynccontextmanager
async def running_background(gateway: Gateway) -> AsyncIterator[None]:
    settings = gateway.settings
    stop = asyncio.Event()
    try:  # before the first request, so stored channels serve it
        await gateway.channel_sync.refresh(gateway)
    except Exception:
        log.exception("could not read the stored channels; the channel loop tries again")
    try:  # before the first request, so every chat hold has a lease to go by
        await gateway.lease.renew()
    except Exception:
        log.exception("could not take the chat hold lease; the lease loop tries again")
    loops = [
        asyncio.create_task(gateway.bus.listen(stop, gateway.on_bus_message), name="bus"),
        asyncio.create_task(gateway.lease.run(stop), name="hold-lease"),
        asyncio.create_task(gateway.request_log.run(stop), name="request-log"),
        asyncio.create_task(gateway.channel_sync.run(gateway, stop), name="channel-sync"),
    ]
    if settings.worker_enabled:
        dispatcher = WebhookDispatcher(
            gateway.db,
            lambda: gateway.fetch_session,
            schedule=settings.webhook_retry_schedule,
            timeout=settings.webhook_timeout_seconds,
            guard=gateway.guard,
            sealer=gateway.sealer,
        )
        gateway.webhooks = dispatcher
        loops.append(asyncio.create_task(TaskWorker(gateway).run(stop), name="task-worker"))
        loops.append(asyncio.create_task(dispatcher.run(stop), name="webhook-dispatcher"))
    try:
        yield
    finally:
        stop.set()
        gateway.channel_sync.wake()
        gateway.signals.work_available()
        if gateway.webhooks is not None:
            gateway.webhooks.wake()
        await asyncio.gather(*loops, return_exceptions=True)
