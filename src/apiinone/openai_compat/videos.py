"""OpenAI Videos: create, list, retrieve, delete and download (``/v1/videos``).

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
serves the MP4 (``variant=video``), its first frame (``thumbnail``) or a grid of frames
(``spritesheet``) as JPEGs, each cut once and kept with the video. Listing and deleting
are :mod:`apiinone.openai_compat.video_store`'s; remixing is
:mod:`apiinone.openai_compat.video_remix`'s.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response, StreamingResponse

from apiinone.api.deps import CurrentPrincipal, GatewayDep
from apiinone.api.shapes.openai import openai_body, openai_content
from apiinone.catalog import ModelSpec
from apiinone.db.engine import now_ms
from apiinone.errors import InvalidRequest, NotFound
from apiinone.openai_compat.bodies import VideoCreate
from apiinone.openai_compat.choices import nearest_number
from apiinone.openai_compat.config import POLL_AFTER_MS
from apiinone.openai_compat.resolve import resolve_model
from apiinone.openai_compat.results import open_result, read_result, result_paths
from apiinone.openai_compat.sizes import parse_size, size_params
from apiinone.openai_compat.video_frames import FrameError, spritesheet, thumbnail
from apiinone.openai_compat.video_input import has_reference, read_video_create, reference_url
from apiinone.openai_compat.video_render import VIDEO_ENDPOINT, load_video, video_object
from apiinone.openai_compat.video_store import Order, delete_video, list_videos
from apiinone.runtime import Runtime
from apiinone.storage.files import list_task_files, save_file
from apiinone.tasks.states import TERMINAL, Status
from apiinone.tasks.submit import create_task
from apiinone.wire import FastJSON

__all__ = [
    "DEFAULT_SECONDS",
    "DEFAULT_SIZE",
    "first_frame_param",
    "router",
    "still",
    "video_body",
]

router = APIRouter(prefix="/v1/videos", tags=["openai"])

DEFAULT_SECONDS = 4
DEFAULT_SIZE = "720x1280"
DURATION_PARAMS = ("duration",)
FIRST_FRAME_PARAMS = ("image",)
VARIANTS = ("video", "thumbnail", "spritesheet")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100

VideoId = Annotated[str, Path(max_length=64)]
BINARY = {"type": "string", "format": "binary"}


def first_frame_param(model: ModelSpec) -> str | None:
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
    if with_reference and first_frame_param(model) is None:
        raise InvalidRequest(
            f"Model '{name}' does not take an input_reference image", param="input_reference"
        )
    return body


def _video_response(obj: dict[str, Any], status_code: int = 200) -> FastJSON:
    return FastJSON(
        obj, status_code=status_code, headers={"openai-poll-after-ms": str(POLL_AFTER_MS)}
    )


@router.post(
    "",
    summary="Create a video (OpenAI Videos; JSON or multipart)",
    responses={200: openai_content("VideoResource", "The new video, queued")},
    openapi_extra=openai_body("CreateVideoJsonBody", "CreateVideoMultipartBody"),
)
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
    frame_param = first_frame_param(resolved.model)
    if image is not None and frame_param is not None:
        body[frame_param] = image
    row = await create_task(gateway, principal, VIDEO_ENDPOINT, body)
    return _video_response(video_object(row, gateway.settings.file_retention_hours * 3600))


@router.get(
    "",
    summary="List videos (OpenAI Videos; cursor pages)",
    responses={200: openai_content("VideoListResource", "A page of videos")},
)
async def list_all(
    principal: CurrentPrincipal,
    gateway: GatewayDep,
    after: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    order: Annotated[Order, Query()] = "desc",
) -> FastJSON:
    rows, has_more = await list_videos(
        gateway, principal.account_id, after=after, limit=limit, order=order
    )
    retention = gateway.settings.file_retention_hours * 3600
    data = [video_object(row, retention) for row in rows]
    return FastJSON(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        }
    )


@router.get(
    "/{video_id}",
    summary="Retrieve a video (OpenAI Videos)",
    responses={200: openai_content("VideoResource", "The video")},
)
async def retrieve_video(
    video_id: VideoId, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    row = await load_video(gateway, principal.account_id, video_id)
    return _video_response(video_object(row, gateway.settings.file_retention_hours * 3600))


@router.delete(
    "/{video_id}",
    summary="Delete a video's files (OpenAI Videos)",
    responses={200: openai_content("DeletedVideoResource", "The video was deleted")},
)
async def remove_video(
    video_id: VideoId, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    row = await load_video(gateway, principal.account_id, video_id)
    if row.status not in TERMINAL:
        raise InvalidRequest(
            f"Video {video_id} is still {video_object(row, 0)['status']}; only a completed "
            "or failed video can be deleted",
            param="video_id",
        )
    await delete_video(gateway, principal.account_id, video_id)
    return FastJSON({"id": video_id, "object": "video.deleted", "deleted": True})


@router.get(
    "/{video_id}/content",
    summary="Download a video's MP4, thumbnail or spritesheet (OpenAI Videos)",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"video/mp4": {"schema": BINARY}, "image/jpeg": {"schema": BINARY}},
            "description": "The MP4 bytes, or a JPEG for thumbnail and spritesheet.",
        }
    },
)
async def download_video(
    video_id: VideoId,
    principal: CurrentPrincipal,
    gateway: GatewayDep,
    variant: Annotated[str, Query(max_length=20)] = "video",
) -> Response:
    if variant not in VARIANTS:
        raise InvalidRequest(f"variant must be one of {', '.join(VARIANTS)}", param="variant")
    row = await load_video(gateway, principal.account_id, video_id)
    if row.status != Status.COMPLETED.value:
        raise InvalidRequest(
            f"Video {video_id} has no content: its status is {video_object(row, 0)['status']}",
            param="video_id",
        )
    paths = result_paths(row)
    if not paths:
        raise NotFound(f"Video {video_id} has no content", param="video_id")
    if variant != "video":
        return Response(await still(gateway, row, paths[0], variant), media_type="image/jpeg")
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


async def still(gateway: Runtime, row: Any, path: str, variant: str) -> bytes:
    """The thumbnail or spritesheet JPEG of the video at ``path``: cut once, then kept as a
    file of the video's task until the video expires (a delete takes it with the video)."""
    name = f"{variant}.jpg"
    kept = next((f for f in await list_task_files(gateway.db, row.id) if f.name == name), None)
    if kept is not None:
        try:
            return await gateway.store.get(kept.storage_key)
        except FileNotFoundError:
            pass  # swept between the two reads: cut it again
    stored, video = await read_result(gateway, path)
    seconds = video_object(row, 0)["seconds"]
    try:
        if variant == "thumbnail":
            jpeg = await thumbnail(video)
        else:
            jpeg = await spritesheet(video, float(seconds or DEFAULT_SECONDS))
    except FrameError as exc:
        raise InvalidRequest(
            f"No {variant} can be made from this video: {exc}", param="variant"
        ) from exc
    left_ms = (stored.expires_at or now_ms()) - now_ms()
    await save_file(
        gateway.db,
        gateway.store,
        account_id=row.account_id,
        task_id=row.id,
        purpose="result",
        name=name,
        content_type="image/jpeg",
        data=jpeg,
        retention_seconds=max(1.0, left_ms / 1000),
    )
    return jpeg
