"""An S3-compatible blob store (AWS S3, MinIO, Ceph, R2, ...) over the aiohttp session.

Objects live at ``{endpoint}/{bucket}/{prefix}{key}`` (path-style addressing), every
request signed with Signature Version 4. Reads stream, with HTTP Range for byte ranges.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import aiohttp

from apiinone.storage.sigv4 import EMPTY_SHA256, sign

__all__ = ["S3BlobStore", "S3Error"]

CHUNK = 256 * 1024


class S3Error(Exception):
    """The object store refused or failed a request."""


class S3BlobStore:
    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        *,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        prefix: str = "",
    ) -> None:
        self._session = session
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self._access_key = access_key
        self._secret_key = secret_key
        self.region = region
        self.prefix = prefix

    def _url(self, key: str) -> str:
        return f"{self.endpoint}/{self.bucket}/{quote(self.prefix + key, safe='/-_.~')}"

    def _headers(
        self, method: str, url: str, payload_sha256: str, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        return sign(
            method,
            url,
            payload_sha256=payload_sha256,
            access_key=self._access_key,
            secret_key=self._secret_key,
            region=self.region,
            now=datetime.now(UTC),
            headers=extra,
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        url = self._url(key)
        headers = self._headers(
            "PUT", url, hashlib.sha256(data).hexdigest(), {"content-type": content_type}
        )
        async with self._session().put(url, data=data, headers=headers) as response:
            if response.status >= 300:
                raise S3Error(f"PUT {key}: HTTP {response.status} {(await response.text())[:200]}")

    async def get(self, key: str) -> bytes:
        return b"".join([chunk async for chunk in self.stream(key)])

    async def size(self, key: str) -> int:
        url = self._url(key)
        async with self._session().head(url, headers=self._headers("HEAD", url, EMPTY_SHA256)) as r:
            if r.status == 404:
                raise FileNotFoundError(key)
            if r.status >= 300:
                raise S3Error(f"HEAD {key}: HTTP {r.status}")
            return int(r.headers["Content-Length"])

    async def stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        url = self._url(key)
        extra = {}
        if start or end is not None:
            extra["range"] = f"bytes={start}-{'' if end is None else end}"
        headers = self._headers("GET", url, EMPTY_SHA256, extra)
        async with self._session().get(url, headers=headers) as response:
            if response.status == 404:
                raise FileNotFoundError(key)
            if response.status >= 300:
                raise S3Error(f"GET {key}: HTTP {response.status}")
            async for chunk in response.content.iter_chunked(CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        url = self._url(key)
        async with self._session().delete(
            url, headers=self._headers("DELETE", url, EMPTY_SHA256)
        ) as r:
            if r.status >= 300 and r.status != 404:
                raise S3Error(f"DELETE {key}: HTTP {r.status}")

    def local_path(self, key: str) -> Path | None:
        return None
