"""``POST /api/v1/images/generations``."""

from __future__ import annotations

from typing import Any

from apiinone.client.resources._common import AsyncResource, SyncResource, body
from apiinone.client.tasks import AsyncTask, Task

__all__ = ["AsyncImages", "Images"]

PATH = "/api/v1/images/generations"


class Images(SyncResource):
    def generate(
        self,
        *,
        model: str,
        prompt: str,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> Task:
        """Start an image task; ``params`` are the model's (``aspect_ratio``, ``resolution``...,
        see ``client.models.get(model)["parameters"]``)."""
        fields = body(model=model, prompt=prompt, callback_url=callback_url, **params)
        return self._client._create_task(PATH, fields, idempotency_key)


class AsyncImages(AsyncResource):
    async def generate(
        self,
        *,
        model: str,
        prompt: str,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> AsyncTask:
        fields = body(model=model, prompt=prompt, callback_url=callback_url, **params)
        return await self._client._create_task(PATH, fields, idempotency_key)
