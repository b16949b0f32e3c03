"""The asynchronous client: :class:`~apiinone.Client`'s methods, awaited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from apiinone.client._base import (
    DEFAULT_TIMEOUT,
    ClientCore,
    partial_path,
    raise_for_stream,
    unwrap,
)
from apiinone.client.resources.account import AsyncAccount
from apiinone.client.resources.admin import AsyncAdmin
from apiinone.client.resources.chat import AsyncChat
from apiinone.client.resources.images import AsyncImages
from apiinone.client.resources.keys import AsyncKeys
from apiinone.client.resources.models import AsyncModels
from apiinone.client.resources.music import AsyncMusic
from apiinone.client.resources.quotes import AsyncQuotes
from apiinone.client.resources.speech import AsyncSpeech
from apiinone.client.resources.tasks import AsyncTasks
from apiinone.client.resources.tools import AsyncTools
from apiinone.client.resources.uploads import AsyncUploads
from apiinone.client.resources.videos import AsyncVideos
from apiinone.client.tasks import AsyncTask
from apiinone.client.transport import AsyncTransport, RetryPolicy, mapped_transport_errors

__all__ = ["AsyncClient"]


class AsyncClient:
    """API in One's native API for asyncio::

    async with AsyncClient() as client:
        task = await client.images.generate(model="flux-2", prompt="A lighthouse")
        await task.wait()
        await task.download("lighthouse.png")
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._core = ClientCore(
            api_key, base_url, timeout=timeout, max_retries=max_retries, retry=retry
        )
        self._http = http_client or httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._owns_http = http_client is None
        self._transport = AsyncTransport(self._http, self._core.retry)
        self.account = AsyncAccount(self)
        self.admin = AsyncAdmin(self)
        self.chat = AsyncChat(self)
        self.images = AsyncImages(self)
        self.keys = AsyncKeys(self)
        self.models = AsyncModels(self)
        self.music = AsyncMusic(self)
        self.quotes = AsyncQuotes(self)
        self.speech = AsyncSpeech(self)
        self.tasks = AsyncTasks(self)
        self.tools = AsyncTools(self)
        self.uploads = AsyncUploads(self)
        self.videos = AsyncVideos(self)

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def api_key(self) -> str:
        return self._core.api_key

    async def health(self) -> dict[str, Any]:
        data: dict[str, Any] = await self._request("GET", "/healthz", authenticated=False)
        return data

    async def ready(self) -> dict[str, Any]:
        data: dict[str, Any] = await self._request("GET", "/readyz", authenticated=False)
        return data

    async def task(self, task_id: str) -> AsyncTask:
        return await self.tasks.get(task_id)

    async def download(self, url: str, path: str | Path) -> Path:
        return await self._download(url, Path(path))

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        idempotency_key: str | None = None,
        authenticated: bool = True,
    ) -> Any:
        request = self._core.build(
            method,
            path,
            json_body=json_body,
            params=params,
            files=files,
            idempotency_key=idempotency_key,
            authenticated=authenticated,
        )
        return unwrap(await self._transport.send(request))

    async def _create_task(
        self, path: str, body: Mapping[str, Any], idempotency_key: str | None
    ) -> AsyncTask:
        data = await self._request("POST", path, json_body=body, idempotency_key=idempotency_key)
        return self._task(data)

    def _task(self, data: Mapping[str, Any]) -> AsyncTask:
        return AsyncTask(self, data)

    @asynccontextmanager
    async def _open_stream(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpx's read timeout of the stream)
    ) -> AsyncIterator[AsyncIterator[str]]:
        request = self._core.build(method, path, json_body=json_body, timeout=timeout, stream=True)
        response = await self._transport.send(request, stream=True)
        try:
            if response.status_code >= 400:
                with mapped_transport_errors():
                    body = await response.aread()
                raise_for_stream(response, body)
            yield _lines(response)
        finally:
            await response.aclose()

    async def _download(self, url: str, dest: Path) -> Path:
        request = self._core.build("GET", url, authenticated=False)
        request.headers["Accept"] = "*/*"
        response = await self._transport.send(request, stream=True)
        try:
            if response.status_code >= 400:
                with mapped_transport_errors():
                    body = await response.aread()
                raise_for_stream(response, body)
            dest.parent.mkdir(parents=True, exist_ok=True)
            part = partial_path(dest)
            handle = await asyncio.to_thread(part.open, "wb")
            try:
                with mapped_transport_errors():
                    async for chunk in response.aiter_bytes():
                        await asyncio.to_thread(handle.write, chunk)
                await asyncio.to_thread(handle.close)
                await asyncio.to_thread(part.replace, dest)
            except BaseException:
                handle.close()
                part.unlink(missing_ok=True)
                raise
        finally:
            await response.aclose()
        return dest

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncClient {self.base_url}>"


async def _lines(response: httpx.Response) -> AsyncIterator[str]:
    with mapped_transport_errors():
        async for line in response.aiter_lines():
            yield line
