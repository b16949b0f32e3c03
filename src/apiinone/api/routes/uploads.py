"""Uploads: ``POST /api/v1/uploads`` (a multipart ``file``, or ``{"url"}``) and ``GET`` by id.

An upload is an image, video or audio file (its type sniffed from its bytes) kept for
``file_retention_hours``. Its ``url`` works as an input URL for any image, video or audio
parameter, and its ``id`` is the ``audio_id`` that Suno's upload-cover takes. Only its
owner can see it here, or use it as an input; another account gets a 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from apiinone.api.deps import CurrentPrincipal, GatewayDep
from apiinone.api.envelope import FastJSON, envelope
from apiinone.api.shapes.envelope import enveloped
from apiinone.api.shapes.uploads import Upload
from apiinone.api.upload_intake import MAX_URL, base_url, receive_upload, upload_object
from apiinone.errors import NotFound
from apiinone.storage.files import get_file

__all__ = ["router", "upload_object"]

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])

UploadId = Annotated[str, Path(max_length=64)]


UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["url"],
                "additionalProperties": False,
                "properties": {
                    "url": {"type": "string", "format": "uri", "maxLength": MAX_URL},
                    "name": {"type": "string", "maxLength": 200},
                },
            }
        },
    },
}


@router.post(
    "",
    status_code=201,
    response_model=None,
    responses=enveloped(Upload, 201),
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def create_upload(
    request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    return await receive_upload(request, principal, gateway)


@router.get("/{upload_id}", response_model=None, responses=enveloped(Upload))
async def read_upload(
    upload_id: UploadId, request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    stored = await get_file(gateway.db, upload_id)
    if stored is None or stored.purpose != "upload" or stored.account_id != principal.account_id:
        raise NotFound(f"No upload {upload_id}", param="upload_id")
    return envelope(upload_object(stored, base_url(request, gateway.settings.public_base_url)))
