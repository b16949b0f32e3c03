"""Every async generation and tool endpoint: validate, hold, queue, answer 202."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from apiinone.api.deps import CurrentPrincipal, GatewayDep, JSONBody
from apiinone.api.envelope import FastJSON, envelope
from apiinone.api.fastlane import fast_lane
from apiinone.api.shapes.envelope import Envelope, enveloped
from apiinone.api.shapes.tasks import Task, TaskCreated, TimestampedLyrics
from apiinone.tasks.control import wait_for_terminal
from apiinone.tasks.states import Status
from apiinone.tasks.submit import create_task
from apiinone.tasks.task_object import created_envelope_data, ignored_params, task_object

router = APIRouter(prefix="/api/v1", tags=["generation"])

ASYNC_ENDPOINTS: dict[str, str] = {
    "/images/generations": "Image generation",
    "/videos/generations": "Video generation",
    "/audio/music": "Music generation (Suno, MiniMax Music)",
    "/audio/music/extend": "Extend a Suno track",
    "/audio/music/cover/generate": "Cover art for a Suno track",
    "/audio/music/upload-cover/generate": "New music from uploaded audio (Suno)",
    "/audio/speech": "Text to speech (dialogue)",
    "/images/tools/remove-bg": "Remove an image's background",
    "/images/tools/face-swap": "Face swap",
    "/images/tools/upscale": "Upscale an image",
    "/videos/tools/bg-remover": "Remove or replace a video's background",
    "/videos/tools/upscale": "Upscale a video",
}
LYRICS = "/audio/music/timestamped-lyrics"
LYRICS_WAIT_SECONDS = 20.0

TASK_CREATED: dict[int | str, dict[str, Any]] = {
    202: {
        "model": Envelope[TaskCreated],
        "description": "The task was accepted; poll GET /api/v1/tasks/{task_id}. `warnings` "
        "names the request's fields the model does not take, which were ignored.",
        "headers": {
            "X-Ignored-Params": {
                "description": "The ignored fields, comma-separated (absent when none).",
                "schema": {"type": "string"},
            }
        },
        "content": {
            "application/json": {
                "example": {
                    "code": 200,
                    "message": "success",
                    "data": {
                        "task_id": "task_Xb3…",
                        "status": "IN_PROGRESS",
                        "phase": "queued",
                        "model": "flux-2",
                        "created_at": "2026-02-25T12:00:00.000Z",
                        "estimated_credits": 5,
                        "warnings": ["seed is not used by flux-2 and was ignored"],
                    },
                }
            }
        },
    }
}


def _make_handler(path: str) -> Any:
    @fast_lane
    async def handler(body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep) -> FastJSON:
        row = await create_task(gateway, principal, "/api/v1" + path, body)
        return envelope(created_envelope_data(row), status_code=202, headers=ignored_params(row))

    handler.__name__ = "create_" + path.strip("/").replace("/", "_").replace("-", "_")
    return handler


for _path, _summary in ASYNC_ENDPOINTS.items():
    router.add_api_route(
        _path,
        _make_handler(_path),
        methods=["POST"],
        summary=_summary,
        status_code=202,
        responses=TASK_CREATED,
    )


LYRICS_RESPONSES: dict[int | str, dict[str, Any]] = {
    **enveloped(TimestampedLyrics | Task, 200, "The lyrics, or the task that failed"),
    **enveloped(TaskCreated, 202, "Not ready within 20 s: poll the task"),
}


@router.post(
    LYRICS,
    summary="Timestamped lyrics of a Suno clip",
    status_code=200,
    responses=LYRICS_RESPONSES,
)
async def timestamped_lyrics(
    request: Request, body: JSONBody, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    """Answers synchronously when the lyrics are ready within 20 s (as the docs show),
    otherwise 202 with the task to poll."""
    row = await create_task(gateway, principal, "/api/v1" + LYRICS, body)
    ignored = ignored_params(row)
    row = await wait_for_terminal(gateway, principal.account_id, row.id, LYRICS_WAIT_SECONDS)
    if row.status == Status.COMPLETED.value:
        obj = task_object(row, str(request.base_url))
        return envelope({"task_id": row.id, **obj.get("result", {})}, headers=ignored)
    if row.status in (Status.QUEUED.value, Status.PROCESSING.value):
        return envelope(created_envelope_data(row), status_code=202, headers=ignored)
    return envelope(task_object(row, str(request.base_url)), headers=ignored)
