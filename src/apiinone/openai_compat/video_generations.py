"""``POST /v1/video/generations`` and ``GET /v1/video/generations/{id}`` (``spec/003``).

The OneKeyModel video API: the body is the native video request (``model``, ``prompt``,
``resolution``, ``duration``, ``image``, ... of ``POST /api/v1/videos/generations``) and
makes the same task. Creation answers 200 ``{"id", "status", "created_at"}``; polling answers
``queued | in_progress | succeeded | failed``, with ``video_url`` once it succeeded and
``error: {"message"}`` once it failed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from apiinone.api.deps import CurrentPrincipal, GatewayDep, JSONBody
from apiinone.api.shapes.envelope import answers
from apiinone.api.shapes.openai import VideoGeneration, VideoGenerationCreated
from apiinone.openai_compat.video_render import VIDEO_ENDPOINT, generation_object, load_video
from apiinone.tasks.submit import create_task
from apiinone.wire import FastJSON

__all__ = ["router"]

router = APIRouter(prefix="/v1/video/generations", tags=["openai"])

TaskId = Annotated[str, Path(max_length=64)]


@router.post(
    "",
    summary="Submit a video generation (OneKeyModel shape)",
    responses=answers(VideoGenerationCreated),
)
async def create_generation(
    body: JSONBody, request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    row = await create_task(gateway, principal, VIDEO_ENDPOINT, body)
    obj = generation_object(row, gateway.settings.public_base_url or str(request.base_url))
    return FastJSON({key: obj[key] for key in ("id", "status", "created_at")})


@router.get(
    "/{task_id}",
    summary="Poll a video generation (OneKeyModel shape)",
    responses=answers(VideoGeneration),
)
async def get_generation(
    task_id: TaskId, request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    row = await load_video(gateway, principal.account_id, task_id)
    return FastJSON(
        generation_object(row, gateway.settings.public_base_url or str(request.base_url))
    )
