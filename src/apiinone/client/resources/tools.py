"""AI tools: image background removal, face swap, upscaling; video background removal and
upscaling. An input is a URL, or a local file (a ``pathlib.Path``) that is uploaded first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apiinone.client.resources._common import AsyncResource, SyncResource, body
from apiinone.client.tasks import AsyncTask, Task

__all__ = ["AsyncTools", "Tools"]

Input = str | Path

REMOVE_BG = "/api/v1/images/tools/remove-bg"
FACE_SWAP = "/api/v1/images/tools/face-swap"
UPSCALE_IMAGE = "/api/v1/images/tools/upscale"
VIDEO_BG = "/api/v1/videos/tools/bg-remover"
UPSCALE_VIDEO = "/api/v1/videos/tools/upscale"


class Tools(SyncResource):
    def _url(self, value: Input) -> str:
        if isinstance(value, Path):
            return self._client.uploads.create(value)["url"]
        return value

    def _run(self, path: str, key: str | None, fields: dict[str, Any]) -> Task:
        return self._client._create_task(path, body(**fields), key)

    def remove_bg(self, image: Input, *, idempotency_key: str | None = None, **params: Any) -> Task:
        """A PNG of ``image`` with a transparent background."""
        return self._run(REMOVE_BG, idempotency_key, {"image": self._url(image), **params})

    def face_swap(
        self,
        image: Input,
        face_image: Input,
        *,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> Task:
        """Put the face of ``face_image`` onto ``image`` (``target_index`` picks the face)."""
        fields = {"image": self._url(image), "face_image": self._url(face_image), **params}
        return self._run(FACE_SWAP, idempotency_key, fields)

    def upscale_image(
        self,
        image: Input,
        *,
        scale: int | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> Task:
        fields = {"image": self._url(image), "scale": scale, **params}
        return self._run(UPSCALE_IMAGE, idempotency_key, fields)

    def video_bg_remover(
        self,
        video: Input,
        *,
        background_image: Input | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> Task:
        """Remove (or, with ``background_image``, replace) a video's background."""
        background = self._url(background_image) if background_image is not None else None
        fields = {"video": self._url(video), "background_image": background, **params}
        return self._run(VIDEO_BG, idempotency_key, fields)

    def upscale_video(
        self,
        video: Input,
        *,
        scale: int | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> Task:
        fields = {"video": self._url(video), "scale": scale, **params}
        return self._run(UPSCALE_VIDEO, idempotency_key, fields)


class AsyncTools(AsyncResource):
    async def _url(self, value: Input) -> str:
        if isinstance(value, Path):
            return (await self._client.uploads.create(value))["url"]
        return value

    async def _run(self, path: str, key: str | None, fields: dict[str, Any]) -> AsyncTask:
        return await self._client._create_task(path, body(**fields), key)

    async def remove_bg(
        self, image: Input, *, idempotency_key: str | None = None, **params: Any
    ) -> AsyncTask:
        return await self._run(
            REMOVE_BG, idempotency_key, {"image": await self._url(image), **params}
        )

    async def face_swap(
        self,
        image: Input,
        face_image: Input,
        *,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> AsyncTask:
        fields = {
            "image": await self._url(image),
            "face_image": await self._url(face_image),
            **params,
        }
        return await self._run(FACE_SWAP, idempotency_key, fields)

    async def upscale_image(
        self,
        image: Input,
        *,
        scale: int | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> AsyncTask:
        fields = {"image": await self._url(image), "scale": scale, **params}
        return await self._run(UPSCALE_IMAGE, idempotency_key, fields)

    async def video_bg_remover(
        self,
        video: Input,
        *,
        background_image: Input | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> AsyncTask:
        background = await self._url(background_image) if background_image is not None else None
        fields = {"video": await self._url(video), "background_image": background, **params}
        return await self._run(VIDEO_BG, idempotency_key, fields)

    async def upscale_video(
        self,
        video: Input,
        *,
        scale: int | None = None,
        idempotency_key: str | None = None,
        **params: Any,
    ) -> AsyncTask:
        fields = {"video": await self._url(video), "scale": scale, **params}
        return await self._run(UPSCALE_VIDEO, idempotency_key, fields)
