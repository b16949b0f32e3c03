"""The files a finished task made: their paths, absolute URLs and bytes.

A task's ``response`` is a JSON list of ``/files/{file_id}/{name}`` paths (or absolute URLs
of them); the files live in the gateway's blob store.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import orjson

from apiinone.errors import NotFound
from apiinone.runtime import Runtime
from apiinone.storage.files import StoredFile, absolute_url, get_file
from apiinone.tasks.rows import TaskRow

__all__ = ["absolute", "file_id_of", "open_result", "read_result", "result_paths"]


def result_paths(row: TaskRow) -> list[str]:
    """The task's result paths, in the order the task produced them."""
    paths = orjson.loads(row.response) if row.response else []
    return [p for p in paths if isinstance(p, str)]


def absolute(base_url: str, path: str) -> str:
    return path if path.startswith(("http://", "https://")) else absolute_url(base_url, path)


def file_id_of(path: str) -> str | None:
    """``file_id`` of ``/files/{file_id}/{name}`` (or of a URL of it)."""
    segments = urlsplit(path).path.split("/")
    if len(segments) >= 4 and segments[-3] == "files" and segments[-2]:
        return unquote(segments[-2])
    return None


async def open_result(gateway: Runtime, path: str) -> StoredFile:
    """The stored file behind a result path; 404 once it has expired."""
    file_id = file_id_of(path)
    stored = await get_file(gateway.db, file_id) if file_id else None
    if stored is None:
        raise NotFound("The result file has expired or no longer exists")
    return stored


async def read_result(gateway: Runtime, path: str) -> tuple[StoredFile, bytes]:
    stored = await open_result(gateway, path)
    try:
        data = await gateway.store.get(stored.storage_key)
    except FileNotFoundError as exc:
        raise NotFound("The result file has expired or no longer exists") from exc
    return stored, data
