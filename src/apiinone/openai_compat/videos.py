"""OpenAI Videos: ``POST /v1/videos``, ``GET /v1/videos/{id}``, ``GET /v1/videos/{id}/content``.

``model`` must be one of the catalog's video models (``kling-3``, ``wan-2-6``, ...); OpenAI's
``sora-2`` and any other name get a 400 that lists them. The request is translated onto the
model's own parameters:

* ``seconds`` (default 4, OpenAI's default) → ``duration``, the nearest value the model
  allows (ties go up; ranges are clamped);
* ``size`` (default ``720x1280``, OpenAI's default) → ``aspect_ratio`` / ``resolution`` /
  ``resolution_ratio`` as :mod:`apiinone.openai_compat.sizes` maps it;
* ``input_reference`` → the model's ``image`` (first frame); a model without one is a 400.

The Video object reports what the task was actually asked for: ``seconds`` is the model's
duration, ``size`` the OpenAI size nearest to its shape. Every Video response carries
``openai-poll-after-ms``, which the SDK's ``create_and_poll`` sleeps for. ``/content``
serves the MP4 (``variant=video``); thumbnails and spritesheets are not made (400).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import StreamingResponse

from apiinone.api.deps import CurrentPrincipal, GatewayDep
from apiinone.api.render import FastJSON
from apiinone.catalog import ModelSpec
from apiinone.errors import InvalidRequest, NotFound
from apiinone.openai_compat.bodies import VideoCreate
from apiinone.openai_compat.choices import nearest_number
from apiinone.openai_compat.config import POLL_AFTER_MS
from apiinone.openai_compat.resolve import resolve_model
from apiinone.openai_compat.results import open_result, result_paths
from apiinone.openai_compat.sizes import parse_size, size_params
from apiinone.openai_compat.video_input import has_reference, read_video_create, reference_url
from apiinone.openai_compat.video_render import VIDEO_ENDPOINT, load_video, video_object
from apiinone.tasks.states import Status
from apiinone.tasks.submit import create_task

__all__ = ["DEFAULT_SECONDS", "DEFAULT_SIZE", "router", "video_body"]

router = APIRouter(prefix="/v1/videos", tags=["openai"])

DEFAULT_SECONDS = 4
DEFAULT_SIZE = "720x1280"
DURATION_PARAMS = ("duration",)
FIRST_FRAME_PARAMS = ("image",)
VARIANTS = ("video", "thumbnail", "spritesheet")

VideoId = Annotated[str, Path(max_length=64)]


def _first_frame_param(model: ModelSpec) -> str | None:
    return next((name for name in FIRST_FRAME_PARAMS if name in model.params), None)


def video_body(
    model: ModelSpec, name: str, req: VideoCreate, with_reference: bool
) -> dict[str, Any]:
    """The native request body for an OpenAI video request (``image`` added by the caller)."""
    body: dict[str, Any] = {"model": name, "prompt": req.prompt}
    body.update(size_params(model, parse_size(req.size or DEFAULT_SIZE)))
    seconds = req.seconds or DEFAULT_SECONDS
    for param in DURATION_PARAMS:
        spec = model.params.get(param)
        value = nearest_number(spec, seconds) if spec is not None else None
        if value is not None:
            body[param] = value
    if with_reference and _first_frame_param(model) is None:
        raise InvalidRequest(
            f"Model '{name}' does not take an input_reference image", param="input_reference"
        )
    return body


def _video_response(obj: dict[str, Any], status_code: int = 200) -> FastJSON:
    return FastJSON(
        obj, status_code=status_code, headers={"openai-poll-after-ms": str(POLL_AFTER_MS)}
    )


@router.post("", summary="Create a video (OpenAI Videos; JSON or multipart)")
async def create_video(
    request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    req, upload = await read_video_create(request, gateway.settings.max_input_bytes)
    resolved = resolve_model(
        gateway.catalog, principal, req.model, "video", endpoint=VIDEO_ENDPOINT
    )
    name = req.model or resolved.model.slug
    body = video_body(resolved.model, name, req, has_reference(req, upload))
    image = await reference_url(gateway, principal, req, upload)
    frame_param = _first_frame_param(resolved.model)
    if image is not None and frame_param is not None:
        body[frame_param] = image
    row = await create_task(gateway, principal, VIDEO_ENDPOINT, body)
    return _video_response(video_object(row, gateway.settings.file_retention_hours * 3600))


@router.get("/{video_id}", summary="Retrieve a video (OpenAI Videos)")
async def retrieve_video(
    video_id: VideoId, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    row = await load_video(gateway, principal.account_id, video_id)
    return _video_response(video_object(row, gateway.settings.file_retention_hours * 3600))


@router.get(
    "/{video_id}/content",
    summary="Download a video's MP4 (OpenAI Videos)",
    response_class=StreamingResponse,
    responses={200: {"content": {"video/mp4": {}}, "description": "The MP4 bytes."}},
)
async def download_video(
    video_id: VideoId,
    principal: CurrentPrincipal,
    gateway: GatewayDep,
    variant: Annotated[str, Query(max_length=20)] = "video",
) -> StreamingResponse:
    if variant not in VARIANTS:
        raise InvalidRequest(f"variant must be one of {', '.join(VARIANTS)}", param="variant")
    if variant != "video":
        raise InvalidRequest(
            f"The '{variant}' variant is not available; use variant=video", param="variant"
        )
    row = await load_video(gateway, principal.account_id, video_id)
    if row.status != Status.COMPLETED.value:
        raise InvalidRequest(
            f"Video {video_id} has no content: its status is {video_object(row, 0)['status']}",
            param="video_id",
        )
    paths = result_paths(row)
    if not paths:
        raise NotFound(f"Video {video_id} has no content", param="video_id")
    stored = await open_result(gateway, paths[0])
    try:
        size = await gateway.store.size(stored.storage_key)
    except FileNotFoundError as exc:
        raise NotFound("The video file has expired or no longer exists") from exc
    return StreamingResponse(
        gateway.store.stream(stored.storage_key),
        media_type=stored.content_type or "video/mp4",
        headers={"Content-Length": str(size)},
    )
