"""Video tasks as the two /v1 video surfaces show them.

* the OpenAI Video object (``/v1/videos``): ``queued | in_progress | completed | failed``;
* the OneKeyModel generation (``/v1/video/generations``, ``spec/003``):
  ``queued | in_progress | succeeded | failed``, ``video_url`` once succeeded.

Both read the same task rows (those of ``POST /api/v1/videos/generations``). A canceled task
shows as ``failed`` with the code ``canceled``; a deleted video is a 404. Timestamps are
Unix seconds.
"""

from __future__ import annotations

from typing import Any

import orjson

from apiinone.errors import NotFound
from apiinone.openai_compat.results import absolute, result_paths
from apiinone.openai_compat.sizes import video_size_of
from apiinone.runtime import Runtime
from apiinone.tasks.control import load_task
from apiinone.tasks.rows import TaskRow
from apiinone.tasks.states import Status

__all__ = [
    "VIDEO_ENDPOINT",
    "generation_object",
    "load_video",
    "video_object",
]

VIDEO_ENDPOINT = "/api/v1/videos/generations"

_OPENAI_STATUS = {
    Status.QUEUED: "queued",
    Status.PROCESSING: "in_progress",
    Status.COMPLETED: "completed",
    Status.FAILED: "failed",
    Status.CANCELED: "failed",
}
_GENERATION_STATUS = {**_OPENAI_STATUS, Status.COMPLETED: "succeeded"}


def _seconds(ms: int | None) -> int | None:
    return None if ms is None else int(ms) // 1000


async def load_video(gateway: Runtime, account_id: str, video_id: str) -> TaskRow:
    """The caller's video task; any other task id is a 404, as a missing or deleted one is."""
    row = await load_task(gateway, account_id, video_id)
    if row.endpoint != VIDEO_ENDPOINT or row.deleted_at is not None:
        raise NotFound(f"No video {video_id}", param="video_id")
    return row


def _error(row: TaskRow) -> dict[str, str] | None:
    if row.status == Status.CANCELED.value:
        return {"code": "canceled", "message": row.error_message or "Canceled by the client"}
    if row.status == Status.FAILED.value:
        return {
            "code": row.error_code or "generation_failed",
            "message": row.error_message or "The video could not be generated",
        }
    return None


def video_object(row: TaskRow, retention_seconds: float) -> dict[str, Any]:
    """The OpenAI Video object of a video task."""
    params = orjson.loads(row.params)
    request = orjson.loads(row.request)
    status = Status(row.status)
    completed = status == Status.COMPLETED
    duration = params.get("duration")
    return {
        "id": row.id,
        "object": "video",
        "model": str(request.get("model") or row.model),
        "status": _OPENAI_STATUS[status],
        "progress": 100 if completed else int(row.progress or 0),
        "created_at": _seconds(row.created_at),
        "completed_at": _seconds(row.completed_at),
        "expires_at": (
            _seconds(int(row.completed_at) + int(retention_seconds * 1000))
            if completed and row.completed_at is not None
            else None
        ),
        "prompt": params.get("prompt") if isinstance(params.get("prompt"), str) else None,
        "size": video_size_of(params),
        "seconds": "" if duration is None else str(duration),
        "remixed_from_video_id": row.remixed_from,
        "error": _error(row),
    }


def generation_object(row: TaskRow, base_url: str) -> dict[str, Any]:
    """The OneKeyModel ``/v1/video/generations`` object of a video task."""
    status = Status(row.status)
    obj: dict[str, Any] = {
        "id": row.id,
        "status": _GENERATION_STATUS[status],
        "created_at": _seconds(row.created_at),
    }
    if status == Status.COMPLETED:
        paths = result_paths(row)
        obj["video_url"] = absolute(base_url, paths[0]) if paths else None
    error = _error(row)
    if error is not None:
        obj["error"] = {"message": error["message"]}
    return obj
