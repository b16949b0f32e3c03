"""The blob store interface every backend implements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

__all__ = ["BlobStore"]


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` (overwrites)."""

    async def get(self, key: str) -> bytes:
        """The whole object; raises FileNotFoundError if missing."""

    async def size(self, key: str) -> int:
        """Its size in bytes; raises FileNotFoundError if missing."""

    def stream(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes ``start`` to ``end`` inclusive (to the last byte when ``end`` is None)."""

    async def delete(self, key: str) -> None:
        """Remove the object; missing objects are ignored."""

    def local_path(self, key: str) -> Path | None:
        """A path on this machine when the backend has one (lets the server use sendfile)."""
