"""Suno's polling routes, in the shapes its docs show: feed, cover status, upload-cover status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from apiinone.api.deps import CurrentPrincipal, GatewayDep
from apiinone.api.envelope import FastJSON, envelope
from apiinone.api.shapes.envelope import SunoEnvelope, answers, enveloped
from apiinone.api.shapes.music import CoverStatus, MusicFeed, UploadCoverStatus
from apiinone.errors import InvalidRequest, NotFound
from apiinone.tasks.control import load_task
from apiinone.tasks.task_object import task_object

router = APIRouter(prefix="/api/v1/audio/music", tags=["music"])

_IdQuery = Annotated[str | None, Query(min_length=1, max_length=64)]


def _task_id_query(
    task_id: _IdQuery = None,
    taskId: _IdQuery = None,  # the Suno pages' own name
    workId: _IdQuery = None,  # the older Suno pages' name
) -> str:
    """``task_id``, or the names the Suno pages also use for it (``taskId``, ``workId``)."""
    given = [v for v in (task_id, taskId, workId) if v is not None]
    if not given:
        raise InvalidRequest(
            "'task_id' is required (also accepted as taskId or workId)", param="task_id"
        )
    if any(v != given[0] for v in given):
        raise InvalidRequest("task_id, taskId and workId name different tasks", param="task_id")
    return given[0]


TaskIdQuery = Annotated[str, Depends(_task_id_query)]


async def _task(gateway: Any, principal: Any, task_id: str, endpoints: tuple[str, ...]) -> Any:
    row = await load_task(gateway, principal.account_id, task_id)
    if row.endpoint not in endpoints:
        raise NotFound(f"No {endpoints[0].rsplit('/', 1)[-1]} task {task_id}", param="task_id")
    return row


def _feed_type(obj: dict[str, Any]) -> str:
    return {"IN_PROGRESS": "PENDING", "SUCCESS": "SUCCESS"}.get(obj["status"], "FAILED")


def _clips(obj: dict[str, Any]) -> list[dict[str, Any]]:
    clips: list[dict[str, Any]] = obj.get("result", {}).get("clips", [])
    return [
        {
            "id": c["id"],
            "audio_url": c.get("audio_url"),
            "image_url": c.get("image_url"),
            "status": c.get("status", "complete"),
            "title": c.get("title"),
            "duration": c.get("duration"),
            "model_name": c.get("model_name"),
            "tags": c.get("tags"),
            "extra_message": None,
            "fail_message": None,
            "error_message": None,
        }
        for c in clips
    ]


def _base(request: Request, gateway: Any) -> str:
    return gateway.settings.public_base_url or str(request.base_url)


@router.get("/feed", responses=enveloped(MusicFeed))
async def feed(
    task_id: TaskIdQuery, request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    row = await _task(
        gateway,
        principal,
        task_id,
        (
            "/api/v1/audio/music",
            "/api/v1/audio/music/extend",
            "/api/v1/audio/music/upload-cover/generate",
        ),
    )
    obj = task_object(row, _base(request, gateway))
    return envelope(
        {
            "task_id": row.id,
            "type": _feed_type(obj),
            "status": obj["status"],
            "request_body": obj["request"],
            "response_data": _clips(obj),
            "error_message": obj["error_message"],
            "created_at": obj["created_at"],
        }
    )


@router.get("/cover/status", responses=answers(SunoEnvelope[CoverStatus]))
async def cover_status(
    task_id: TaskIdQuery, request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    row = await _task(gateway, principal, task_id, ("/api/v1/audio/music/cover/generate",))
    obj = task_object(row, _base(request, gateway))
    return FastJSON(
        {
            "code": 200,
            "msg": "success",
            "data": {
                "taskId": row.id,
                "status": obj["status"],
                "images": obj.get("result", {}).get("images", []),
                "error_message": obj["error_message"],
                "created_at": obj["created_at"],
            },
        }
    )


@router.get("/upload-cover/status", responses=enveloped(UploadCoverStatus))
async def upload_cover_status(
    task_id: TaskIdQuery, request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    row = await _task(gateway, principal, task_id, ("/api/v1/audio/music/upload-cover/generate",))
    obj = task_object(row, _base(request, gateway))
    return envelope(
        {
            "task_id": row.id,
            "status": obj["status"],
            "response_data": _clips(obj),
            "error_message": obj["error_message"],
            "created_at": obj["created_at"],
        }
    )
