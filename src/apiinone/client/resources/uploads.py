"""``/api/v1/uploads``: a file (or a URL the gateway fetches) turned into an input URL."""

from __future__ import annotations

from typing import cast

from apiinone.client._base import FileInput, file_part
from apiinone.client.resources._common import AsyncResource, SyncResource, body, quoted
from apiinone.client.types import Upload

__all__ = ["AsyncUploads", "Uploads"]

BASE = "/api/v1/uploads"


class Uploads(SyncResource):
    def create(
        self,
        file: FileInput | None = None,
        *,
        url: str | None = None,
        name: str | None = None,
        content_type: str | None = None,
    ) -> Upload:
        """Upload ``file`` (a path, bytes or a binary file object) or have the gateway fetch
        ``url``; the answer's ``url`` works as any image, video or audio input."""
        if (file is None) == (url is None):
            raise ValueError("give either file or url")
        if file is not None:
            files = {"file": file_part(file, name, content_type)}
            return cast(Upload, self._client._request("POST", BASE, files=files))
        fields = body(url=url, name=name)
        return cast(Upload, self._client._request("POST", BASE, json_body=fields))

    def get(self, upload_id: str) -> Upload:
        return cast(Upload, self._client._request("GET", f"{BASE}/{quoted(upload_id)}"))


class AsyncUploads(AsyncResource):
    async def create(
        self,
        file: FileInput | None = None,
        *,
        url: str | None = None,
        name: str | None = None,
        content_type: str | None = None,
    ) -> Upload:
        if (file is None) == (url is None):
            raise ValueError("give either file or url")
        if file is not None:
            files = {"file": file_part(file, name, content_type)}
            return cast(Upload, await self._client._request("POST", BASE, files=files))
        fields = body(url=url, name=name)
        return cast(Upload, await self._client._request("POST", BASE, json_body=fields))

    async def get(self, upload_id: str) -> Upload:
        return cast(Upload, await self._client._request("GET", f"{BASE}/{quoted(upload_id)}"))
