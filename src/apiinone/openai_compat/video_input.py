"""Reading ``POST /v1/videos``: a JSON body, or the multipart form the OpenAI SDK sends.

``input_reference`` (the first frame) may be

* an uploaded image file (multipart) — stored as one of the caller's uploads;
* ``{"image_url": "https://..."}`` (JSON, or the form fields ``input_reference[image_url]``);
* ``{"file_id": "..."}`` — the id of an earlier ``POST /api/v1/uploads``.

Each becomes a URL for the video model's ``image`` parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from apiinone.api.deps import json_body
from apiinone.auth.principal import Principal
from apiinone.errors import InvalidRequest, NotFound
from apiinone.net.fetch import accepted_type
from apiinone.openai_compat.bodies import VideoCreate, parse_body
from apiinone.runtime import Runtime
from apiinone.storage.files import absolute_url, get_file, safe_name, save_upload

__all__ = ["Upload", "has_reference", "read_video_create", "reference_url"]

REFERENCE = "input_reference"
_NESTED = {f"{REFERENCE}[image_url]": "image_url", f"{REFERENCE}[file_id]": "file_id"}


@dataclass(frozen=True)
class Upload:
    """An image file sent as ``input_reference``, not stored yet."""

    data: bytes
    content_type: str
    name: str


async def _read_file(part: UploadFile, max_bytes: int) -> Upload:
    data = await part.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidRequest(f"'{REFERENCE}' is larger than {max_bytes} bytes", param=REFERENCE)
    content_type = accepted_type(data, part.content_type, ("image/",), param=REFERENCE)
    return Upload(data, content_type, safe_name(part.filename or "", default="input_reference"))


async def _from_form(request: Request, max_bytes: int) -> tuple[dict[str, Any], Upload | None]:
    fields: dict[str, Any] = {}
    upload: Upload | None = None
    reference: dict[str, str] = {}
    try:
        async with request.form(max_files=1, max_fields=20) as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key != REFERENCE:
                        raise InvalidRequest(f"Unexpected file field '{key}'", param=key)
                    upload = await _read_file(value, max_bytes)
                elif key in _NESTED:
                    reference[_NESTED[key]] = value
                else:
                    fields[key] = value
    except (HTTPException, MultiPartException, MultipartParseError) as exc:
        detail = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
        raise InvalidRequest(f"The multipart body is malformed: {detail}") from exc
    if reference:
        fields[REFERENCE] = reference
    elif isinstance(fields.get(REFERENCE), str):
        fields[REFERENCE] = {"image_url": fields[REFERENCE]}
    return fields, upload


async def read_video_create(request: Request, max_bytes: int) -> tuple[VideoCreate, Upload | None]:
    """The request, and the image file it carried (multipart only)."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        fields, upload = await _from_form(request, max_bytes)
        return parse_body(VideoCreate, fields), upload
    if media in ("application/json", "") or media.endswith("+json"):
        return parse_body(VideoCreate, await json_body(request)), None
    raise InvalidRequest("Send application/json or multipart/form-data")


def has_reference(req: VideoCreate, upload: Upload | None) -> bool:
    return upload is not None or req.input_reference is not None


async def reference_url(
    gateway: Runtime, principal: Principal, req: VideoCreate, upload: Upload | None
) -> str | None:
    """The input reference as a URL the video model can fetch (``None`` without one)."""
    if upload is not None:
        stored = await save_upload(
            gateway.db,
            gateway.store,
            account_id=principal.account_id,
            name=upload.name,
            content_type=upload.content_type,
            data=upload.data,
            retention_hours=gateway.settings.file_retention_hours,
        )
        return absolute_url(gateway.settings.base_url, stored.path)
    ref = req.input_reference
    if ref is None:
        return None
    if ref.image_url:
        if not ref.image_url.startswith(("http://", "https://")):
            raise InvalidRequest(
                f"'{REFERENCE}.image_url' must be an http(s) URL; upload the image as the "
                f"'{REFERENCE}' file instead",
                param=f"{REFERENCE}.image_url",
            )
        return ref.image_url
    if ref.file_id:
        stored_file = await get_file(gateway.db, ref.file_id)
        if (
            stored_file is None
            or stored_file.purpose != "upload"
            or stored_file.account_id != principal.account_id
        ):
            raise NotFound(f"No upload {ref.file_id}", param=f"{REFERENCE}.file_id")
        return absolute_url(gateway.settings.base_url, stored_file.path)
    raise InvalidRequest(
        f"'{REFERENCE}' needs 'image_url' or 'file_id', or send an image file",
        param=REFERENCE,
    )
