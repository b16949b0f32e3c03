"""``/api/v1/tasks``: get, list, cancel, follow, and the webhook deliveries of a task."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

from apiinone.client.resources._common import AsyncResource, SyncResource, quoted
from apiinone.client.tasks import AsyncTask, Task
from apiinone.client.types import Page, TaskObject, WebhookDelivery

__all__ = ["AsyncTasks", "Tasks"]

BASE = "/api/v1/tasks"
Deliveries = list[WebhookDelivery]  # (``list`` is a method name in the classes below)


def _params(
    status: str | None, model: str | None, cursor: str | None, limit: int
) -> dict[str, Any]:
    return {"status": status, "model": model, "cursor": cursor, "limit": limit}


class Tasks(SyncResource):
    def get(self, task_id: str) -> Task:
        return self._client._task(self._client._request("GET", f"{BASE}/{quoted(task_id)}"))

    def list(
        self,
        *,
        status: str | None = None,
        model: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[TaskObject]:
        """One page, newest first; ``status`` is IN_PROGRESS, SUCCESS, FAILED or CANCELED."""
        data = self._client._request("GET", BASE, params=_params(status, model, cursor, limit))
        return cast(Page[TaskObject], data)

    def iter(
        self, *, status: str | None = None, model: str | None = None, page_size: int = 100
    ) -> Iterator[TaskObject]:
        """Every task, newest first, page after page."""
        cursor: str | None = None
        while True:
            page = self.list(status=status, model=model, cursor=cursor, limit=page_size)
            yield from page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return

    def cancel(self, task_id: str) -> Task:
        return self._client._task(self._client._request("POST", f"{BASE}/{quoted(task_id)}/cancel"))

    def wait(self, task_id: str, timeout: float | None = None, *, progress: bool = False) -> Task:
        return self.get(task_id).wait(timeout, progress=progress)

    def events(self, task_id: str, *, timeout: float | None = None) -> Iterator[TaskObject]:
        return self.get(task_id).events(timeout=timeout)

    def webhooks(self, task_id: str) -> Deliveries:
        """Every webhook delivery of the task, with each attempt."""
        data = self._client._request("GET", f"{BASE}/{quoted(task_id)}/webhooks")
        return cast(Deliveries, data["items"])

    def redeliver(self, task_id: str, delivery_id: str) -> dict[str, Any]:
        """Queue a delivery again (same ``webhook-id``)."""
        path = f"{BASE}/{quoted(task_id)}/webhooks/{quoted(delivery_id)}/redeliver"
        data: dict[str, Any] = self._client._request("POST", path)
        return data


class AsyncTasks(AsyncResource):
    async def get(self, task_id: str) -> AsyncTask:
        return self._client._task(await self._client._request("GET", f"{BASE}/{quoted(task_id)}"))

    async def list(
        self,
        *,
        status: str | None = None,
        model: str | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> Page[TaskObject]:
        params = _params(status, model, cursor, limit)
        return cast(Page[TaskObject], await self._client._request("GET", BASE, params=params))

    async def iter(
        self, *, status: str | None = None, model: str | None = None, page_size: int = 100
    ) -> AsyncIterator[TaskObject]:
        cursor: str | None = None
        while True:
            page = await self.list(status=status, model=model, cursor=cursor, limit=page_size)
            for item in page["items"]:
                yield item
            cursor = page["next_cursor"]
            if not cursor:
                return

    async def cancel(self, task_id: str) -> AsyncTask:
        return self._client._task(
            await self._client._request("POST", f"{BASE}/{quoted(task_id)}/cancel")
        )

    async def wait(
        self,
        task_id: str,
        timeout: float | None = None,  # noqa: ASYNC109 (a deadline on the task, not on I/O)
        *,
        progress: bool = False,
    ) -> AsyncTask:
        return await (await self.get(task_id)).wait(timeout, progress=progress)

    async def webhooks(self, task_id: str) -> Deliveries:
        data = await self._client._request("GET", f"{BASE}/{quoted(task_id)}/webhooks")
        return cast(Deliveries, data["items"])

    async def redeliver(self, task_id: str, delivery_id: str) -> dict[str, Any]:
        path = f"{BASE}/{quoted(task_id)}/webhooks/{quoted(delivery_id)}/redeliver"
        data: dict[str, Any] = await self._client._request("POST", path)
        return data
