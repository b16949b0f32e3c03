"""``POST /v1/videos/{video_id}/remix``: a new video from a completed one and a new prompt.

No catalog video model takes a source video, so a remix is an image-to-video run of the
original's model: the original's request again (its duration, shape and options) with the
new ``prompt``, and the original video's first frame (its thumbnail) as the model's
``image``. A model without an ``image`` parameter (``wan2.7-t2v``) cannot remix: 400 naming
why. The frame is stored as one of the caller's uploads; the new video records
``remixed_from_video_id``. The remix is an ordinary task: priced, held and charged as a new
video of that model.

``videos.edit``, ``extend`` and ``create_character`` need a model that takes a source video,
which the catalog has none of: they are a 400 that says so.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from python_multipart.exceptions import MultipartParseError
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from apiinone.api.deps import CurrentPrincipal, GatewayDep, json_body
from apiinone.api.shapes.openai import openai_body, openai_content
from apiinone.errors import InvalidRequest, NotFound
from apiinone.openai_compat.bodies import parse_body
from apiinone.openai_compat.config import POLL_AFTER_MS
from apiinone.openai_compat.results import result_paths
from apiinone.openai_compat.video_render import VIDEO_ENDPOINT, load_video, video_object
from apiinone.openai_compat.video_store import mark_remix
from apiinone.openai_compat.videos import first_frame_param, still
from apiinone.storage.files import absolute_url, save_upload
from apiinone.tasks.states import Status
from apiinone.tasks.submit import create_task
from apiinone.wire import FastJSON

__all__ = ["VideoRemix", "router"]

router = APIRouter(prefix="/v1/videos", tags=["openai"])

VideoId = Annotated[str, Path(max_length=64)]
# What the original's request carried that a remix does not send again.
_NOT_REPEATED = ("callback_url",)
_NOT_OFFERED = {
    "edits": "Video edits",
    "extensions": "Video extensions",
    "characters": "Video characters",
}


class VideoRemix(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    prompt: str = Field(min_length=1, max_length=32000)


async def _read(request: Request) -> VideoRemix:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            async with request.form(max_files=0, max_fields=10) as form:
                fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        except (HTTPException, MultiPartException, MultipartParseError) as exc:
            raise InvalidRequest("The form body is malformed") from exc
        return parse_body(VideoRemix, fields)
    return parse_body(VideoRemix, await json_body(request))


@router.post("/{action}", include_in_schema=False)
async def not_offered(action: Annotated[str, Path(max_length=40)], _: CurrentPrincipal) -> None:
    """``videos.edit``, ``extend`` and ``create_character``: a clear 400, not a 405."""
    if action in _NOT_OFFERED:
        raise InvalidRequest(
            f"{_NOT_OFFERED[action]} are not offered: no catalog video model takes a source "
            f"video; remix a completed video instead (POST /v1/videos/{{video_id}}/remix)"
        )
    raise NotFound(f"No route POST /v1/videos/{action}")


@router.post(
    "/{video_id}/remix",
    summary="Remix a completed video (OpenAI Videos)",
    responses={200: openai_content("VideoResource", "The remix, queued")},
    openapi_extra=openai_body("CreateVideoRemixBody", "CreateVideoRemixBody", form=True),
)
async def remix_video(
    video_id: VideoId, request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    req = await _read(request)
    source = await load_video(gateway, principal.account_id, video_id)
    if source.status != Status.COMPLETED.value:
        raise InvalidRequest(
            f"Video {video_id} is {video_object(source, 0)['status']}; only a completed "
            "video can be remixed",
            param="video_id",
        )
    resolved = gateway.catalog.get(source.model, VIDEO_ENDPOINT)
    frame_param = first_frame_param(resolved.model) if resolved is not None else None
    if frame_param is None:
        raise InvalidRequest(
            f"Video {video_id} was made by '{source.model}', which takes no image or source "
            "video, so it cannot be remixed",
            param="video_id",
        )
    paths = result_paths(source)
    if not paths:
        raise InvalidRequest(f"Video {video_id} has no content to remix", param="video_id")
    try:
        frame = await still(gateway, source, paths[0], "thumbnail")
    except InvalidRequest as exc:
        raise InvalidRequest(
            f"Video {video_id} cannot be remixed: {exc.message}", param="video_id"
        ) from exc
    stored = await save_upload(
        gateway.db,
        gateway.store,
        account_id=principal.account_id,
        name=f"remix-{video_id}.jpg",
        content_type="image/jpeg",
        data=frame,
        retention_hours=gateway.settings.file_retention_hours,
    )
    body: dict[str, Any] = {
        k: v for k, v in orjson.loads(source.request).items() if k not in _NOT_REPEATED
    }
    body["prompt"] = req.prompt
    body[frame_param] = absolute_url(gateway.settings.base_url, stored.path)
    row = await create_task(gateway, principal, VIDEO_ENDPOINT, body)
    await mark_remix(gateway, row.id, video_id)
    remix = await load_video(gateway, principal.account_id, row.id)
    return FastJSON(
        video_object(remix, gateway.settings.file_retention_hours * 3600),
        headers={"openai-poll-after-ms": str(POLL_AFTER_MS)},
    )
