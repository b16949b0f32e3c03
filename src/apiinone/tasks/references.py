"""Requests that point at earlier work: Suno extend, cover art, lyrics, upload-cover, and
Grok's upscale of an earlier image. Checked at submission: the referenced task or upload
must belong to the caller and be finished."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from apiinone.db.engine import now_ms
from apiinone.db.tables import files, tasks
from apiinone.errors import InvalidRequest, NotFound
from apiinone.tasks.lifecycle import get_task
from apiinone.tasks.rows import TaskRow
from apiinone.tasks.states import Status

__all__ = [
    "Reference",
    "check_references",
    "parent_context",
    "refers_back",
    "refers_to_earlier_work",
]

MUSIC_ENDPOINTS = (
    "/api/v1/audio/music",
    "/api/v1/audio/music/extend",
    "/api/v1/audio/music/upload-cover/generate",
)
TASK_FIELDS = {
    "/api/v1/audio/music/extend": ("origin_task_id", MUSIC_ENDPOINTS),
    "/api/v1/audio/music/cover/generate": ("task_id", MUSIC_ENDPOINTS),
    "/api/v1/audio/music/timestamped-lyrics": ("task_id", MUSIC_ENDPOINTS),
    "/api/v1/images/generations": ("task_id", ("/api/v1/images/generations",)),
}
UPLOAD_COVER = "/api/v1/audio/music/upload-cover/generate"
EXTEND = "/api/v1/audio/music/extend"


@dataclass(frozen=True, slots=True)
class Reference:
    """The earlier task a request refers to, and its sub-model (``variant``): an extend
    without ``model`` is priced by its source song's tier."""

    parent_task_id: str | None
    parent_variant: str | None = None


def refers_to_earlier_work(endpoint: str, params: Mapping[str, Any]) -> bool:
    """Whether ``check_references`` has anything to look up for this request."""
    if endpoint == UPLOAD_COVER:
        return True
    spec = TASK_FIELDS.get(endpoint)
    return spec is not None and isinstance(params.get(spec[0]), str) and bool(params[spec[0]])


async def check_references(
    conn: AsyncConnection, *, account_id: str, endpoint: str, params: Mapping[str, Any]
) -> Reference:
    if endpoint == UPLOAD_COVER:
        await _upload(conn, account_id, str(params.get("audio_id", "")))
        return Reference(None)
    spec = TASK_FIELDS.get(endpoint)
    if spec is None:
        return Reference(None)
    field, allowed = spec
    task_id = params.get(field)
    if not isinstance(task_id, str) or not task_id:
        return Reference(None)
    parent = await get_task(conn, task_id, account_id)
    if parent is None or parent.endpoint not in allowed:
        raise NotFound(f"No task {task_id} to refer to", param=field)
    if parent.status != Status.COMPLETED.value:
        raise InvalidRequest(f"Task {task_id} has not completed successfully", param=field)
    if endpoint == "/api/v1/audio/music/timestamped-lyrics":
        clips = (orjson.loads(parent.result) if parent.result else {}).get("clips", [])
        if params.get("audio_id") not in {c.get("id") for c in clips}:
            raise NotFound(f"No clip {params.get('audio_id')} in task {task_id}", param="audio_id")
    if endpoint == "/api/v1/audio/music/cover/generate":
        existing = (
            await conn.execute(
                select(tasks.c.id).where(
                    and_(
                        tasks.c.parent_task_id == task_id,
                        tasks.c.endpoint == endpoint,
                        tasks.c.status != Status.FAILED.value,
                        tasks.c.status != Status.CANCELED.value,
                    )
                )
            )
        ).first()
        if existing is not None:
            raise InvalidRequest(
                f"Cover art was already generated for task {task_id} ({existing.id})",
                param="task_id",
            )
    if endpoint == EXTEND:
        _check_extension_start(parent, params)
    return Reference(task_id, parent.variant)


def _check_extension_start(parent: Any, params: Mapping[str, Any]) -> None:
    """``extensionStartTime`` lies inside the source clip (the docs: > 0 and < its duration)."""
    start = params.get("extensionStartTime")
    if not isinstance(start, (int, float)) or isinstance(start, bool):
        return
    clips = (orjson.loads(parent.result) if parent.result else {}).get("clips", [])
    index = params.get("extend_audio_index", 0)
    if not isinstance(index, int) or not 0 <= index < len(clips):
        raise InvalidRequest(
            f"Task {parent.id} has no clip {index} to extend", param="extend_audio_index"
        )
    duration = clips[index].get("duration")
    if isinstance(duration, (int, float)) and start >= duration:
        raise InvalidRequest(
            f"'extensionStartTime' must be less than the source clip's duration ({duration} s)",
            param="extensionStartTime",
        )


async def _upload(conn: AsyncConnection, account_id: str, file_id: str) -> None:
    row = (
        await conn.execute(
            select(files.c.id, files.c.expires_at).where(
                and_(
                    files.c.id == file_id,
                    files.c.account_id == account_id,
                    files.c.purpose == "upload",
                )
            )
        )
    ).first()
    if row is None or (row.expires_at is not None and row.expires_at <= now_ms()):
        raise NotFound(
            f"No upload {file_id}; upload audio with POST /api/v1/uploads", param="audio_id"
        )


def refers_back(task: Any) -> bool:
    """Whether ``parent_context`` has anything to read for this task."""
    return task.endpoint == UPLOAD_COVER or task.parent_task_id is not None


async def parent_context(conn: AsyncConnection, task: TaskRow) -> dict[str, Any] | None:
    """What a provider learns about the earlier work a task refers to."""
    if task.endpoint == UPLOAD_COVER:
        params = orjson.loads(task.params)
        row = (
            await conn.execute(
                select(files.c.id, files.c.name).where(files.c.id == params.get("audio_id"))
            )
        ).first()
        return {"audio_url": f"/files/{row.id}/{row.name}"} if row is not None else None
    if task.parent_task_id is None:
        return None
    parent = await get_task(conn, task.parent_task_id)
    if parent is None:
        return None
    return {
        "task_id": parent.id,
        "model": parent.model,
        "params": orjson.loads(parent.params),
        "result": orjson.loads(parent.result) if parent.result else {},
        "response": orjson.loads(parent.response) if parent.response else [],
    }
