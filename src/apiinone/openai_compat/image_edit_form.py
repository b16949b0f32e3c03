"""Reading ``POST /v1/images/edits``: the multipart form OpenAI's ``images.edit`` sends.

``image`` is one file, or several (the SDK names a list ``image[]``; repeated ``image``
fields work too); ``mask`` is one file; every other field is text. Each file must be an
image (sniffed from its bytes) of at most ``max_input_bytes``. The request's fingerprint
(for a retry attaching to its tasks) is its text fields and the sha-256 of each file, so
the same files sent again are the same request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from apiinone.errors import InvalidRequest
from apiinone.net.fetch import accepted_type
from apiinone.storage.files import safe_name

__all__ = ["MAX_IMAGES", "EditForm", "ImageFile", "read_edit_form"]

IMAGE = "image"
MASK = "mask"
IMAGE_KEYS = (IMAGE, f"{IMAGE}[]")
MAX_IMAGES = 16  # OpenAI's CreateImageEditRequest: image maxItems
MAX_FIELDS = 40


@dataclass(frozen=True, slots=True)
class ImageFile:
    """An uploaded image, not stored yet."""

    data: bytes
    content_type: str
    name: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class EditForm:
    fields: dict[str, str]
    images: list[ImageFile]
    mask: ImageFile | None

    def fingerprint_body(self) -> dict[str, Any]:
        """What identifies this request: its text fields and the hashes of its files."""
        return {
            **self.fields,
            IMAGE: [image.digest for image in self.images],
            MASK: self.mask.digest if self.mask else None,
        }


async def _read_image(part: UploadFile, param: str, max_bytes: int) -> ImageFile:
    data = await part.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidRequest(f"'{param}' is larger than {max_bytes} bytes", param=param)
    content_type = accepted_type(data, part.content_type, ("image/",), param=param)
    return ImageFile(data, content_type, safe_name(part.filename or "", default=param))


async def read_edit_form(request: Request, max_bytes: int) -> EditForm:
    """The form's text fields, images and mask; a 400 naming the field otherwise."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "multipart/form-data":
        raise InvalidRequest(
            "Send multipart/form-data with the image file(s) in 'image', as OpenAI's "
            "images.edit does",
            param=IMAGE,
        )
    fields: dict[str, str] = {}
    images: list[ImageFile] = []
    mask: ImageFile | None = None
    try:
        async with request.form(max_files=MAX_IMAGES + 1, max_fields=MAX_FIELDS) as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key in IMAGE_KEYS:
                        images.append(await _read_image(value, IMAGE, max_bytes))
                    elif key == MASK and mask is None:
                        mask = await _read_image(value, MASK, max_bytes)
                    elif key == MASK:
                        raise InvalidRequest("'mask' is given more than once", param=MASK)
                    else:
                        raise InvalidRequest(f"Unexpected file field '{key}'", param=key)
                elif key in IMAGE_KEYS or key == MASK:
                    param = MASK if key == MASK else IMAGE
                    raise InvalidRequest(f"'{param}' must be an image file", param=param)
                elif key in fields:
                    raise InvalidRequest(f"'{key}' is given more than once", param=key)
                else:
                    fields[key] = value
    except (HTTPException, MultiPartException, MultipartParseError) as exc:
        detail = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
        raise InvalidRequest(f"The multipart body is malformed: {detail}") from exc
    if not images:
        raise InvalidRequest("'image' is required: one or more image files", param=IMAGE)
    return EditForm(fields, images, mask)
