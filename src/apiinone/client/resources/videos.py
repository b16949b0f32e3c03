"""``POST /api/v1/videos/generations``."""

from __future__ import annotations

from typing import Any

from apiinone.client.resources._common import AsyncResource, SyncResource, body
from apiinone.client.tasks import AsyncTask, Task

__all__ = ["AsyncVideos", "Videos"]

PATH = "/api/v1/videos/generations"


class Videos(SyncResource):
    def generate(
        self,
        *,
        model: str,
        prompt: str | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> Task:
        """Start a video task; ``params`` are the model's (``duration``, ``image``...)."""
        fields = body(model=model, prompt=prompt, callback_url=callback_url, **params)
        return self._client._create_task(PATH, fields, idempotency_key)


class AsyncVideos(AsyncResource):
    async def generate(
        self,
        *,
        model: str,
        prompt: str | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> AsyncTask:
        fields = body(model=model, prompt=prompt, callback_url=callback_url, **params)
        return await self._client._create_task(PATH, fields, idempotency_key)
