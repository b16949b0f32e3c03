"""Music: Suno and MiniMax generation, Suno extend / cover / upload-cover / lyrics timing,
and Suno's own polling shapes (feed, cover status, upload-cover status)."""

from __future__ import annotations

from typing import Any

from apiinone.client.resources._common import AsyncResource, SyncResource, body
from apiinone.client.tasks import AsyncTask, Task

__all__ = ["AsyncMusic", "Music"]

BASE = "/api/v1/audio/music"


class Music(SyncResource):
    def generate(
        self,
        *,
        model: str = "suno",
        prompt: str | None = None,
        gpt_description_prompt: str | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> Task:
        """Suno (``gpt_description_prompt`` describes the song; ``prompt`` holds lyrics) or
        ``model="minimax-music"`` (``prompt`` describes it). Suno makes two clips."""
        fields = body(
            model=model,
            prompt=prompt,
            gpt_description_prompt=gpt_description_prompt,
            callback_url=callback_url,
            **params,
        )
        return self._client._create_task(BASE, fields, idempotency_key)

    def extend(
        self,
        *,
        origin_task_id: str,
        extend_audio_index: int,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> Task:
        """Continue clip ``extend_audio_index`` (0 or 1) of a Suno task."""
        fields = body(
            origin_task_id=origin_task_id, extend_audio_index=extend_audio_index, **params
        )
        return self._client._create_task(f"{BASE}/extend", fields, idempotency_key)

    def cover(self, *, task_id: str, idempotency_key: str | None = None, **params: Any) -> Task:
        """Cover art for a Suno task's clips."""
        fields = body(task_id=task_id, **params)
        return self._client._create_task(f"{BASE}/cover/generate", fields, idempotency_key)

    def upload_cover(
        self, *, audio_id: str, idempotency_key: str | None = None, **params: Any
    ) -> Task:
        """New music from uploaded audio (``audio_id`` is an upload's id)."""
        fields = body(audio_id=audio_id, **params)
        return self._client._create_task(f"{BASE}/upload-cover/generate", fields, idempotency_key)

    def timestamped_lyrics(
        self, *, task_id: str, audio_id: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """The lyrics of a clip with their timing (or, after 20 s, the task to poll)."""
        fields = body(task_id=task_id, audio_id=audio_id)
        data: dict[str, Any] = self._client._request(
            "POST", f"{BASE}/timestamped-lyrics", json_body=fields, idempotency_key=idempotency_key
        )
        return data

    def feed(self, task_id: str) -> dict[str, Any]:
        """A Suno task in Suno's feed shape."""
        data: dict[str, Any] = self._client._request(
            "GET", f"{BASE}/feed", params={"task_id": task_id}
        )
        return data

    def cover_status(self, task_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self._client._request(
            "GET", f"{BASE}/cover/status", params={"task_id": task_id}
        )
        return data

    def upload_cover_status(self, task_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self._client._request(
            "GET", f"{BASE}/upload-cover/status", params={"task_id": task_id}
        )
        return data


class AsyncMusic(AsyncResource):
    async def generate(
        self,
        *,
        model: str = "suno",
        prompt: str | None = None,
        gpt_description_prompt: str | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> AsyncTask:
        fields = body(
            model=model,
            prompt=prompt,
            gpt_description_prompt=gpt_description_prompt,
            callback_url=callback_url,
            **params,
        )
        return await self._client._create_task(BASE, fields, idempotency_key)

    async def extend(
        self,
        *,
        origin_task_id: str,
        extend_audio_index: int,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> AsyncTask:
        fields = body(
            origin_task_id=origin_task_id, extend_audio_index=extend_audio_index, **params
        )
        return await self._client._create_task(f"{BASE}/extend", fields, idempotency_key)

    async def cover(
        self, *, task_id: str, idempotency_key: str | None = None, **params: Any
    ) -> AsyncTask:
        fields = body(task_id=task_id, **params)
        return await self._client._create_task(f"{BASE}/cover/generate", fields, idempotency_key)

    async def upload_cover(
        self, *, audio_id: str, idempotency_key: str | None = None, **params: Any
    ) -> AsyncTask:
        fields = body(audio_id=audio_id, **params)
        return await self._client._create_task(
            f"{BASE}/upload-cover/generate", fields, idempotency_key
        )

    async def timestamped_lyrics(
        self, *, task_id: str, audio_id: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        fields = body(task_id=task_id, audio_id=audio_id)
        data: dict[str, Any] = await self._client._request(
            "POST", f"{BASE}/timestamped-lyrics", json_body=fields, idempotency_key=idempotency_key
        )
        return data

    async def feed(self, task_id: str) -> dict[str, Any]:
        data: dict[str, Any] = await self._client._request(
            "GET", f"{BASE}/feed", params={"task_id": task_id}
        )
        return data

    async def cover_status(self, task_id: str) -> dict[str, Any]:
        data: dict[str, Any] = await self._client._request(
            "GET", f"{BASE}/cover/status", params={"task_id": task_id}
        )
        return data

    async def upload_cover_status(self, task_id: str) -> dict[str, Any]:
        data: dict[str, Any] = await self._client._request(
            "GET", f"{BASE}/upload-cover/status", params={"task_id": task_id}
        )
        return data
