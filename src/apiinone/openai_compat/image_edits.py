"""``POST /v1/images/edits``: OpenAI's image edit, run on a catalog model that takes images.

The form is OpenAI's ``CreateImageEditRequest`` (``image`` — one file or several —,
``prompt``, ``mask``, ``model``, ``n``, ``size``, ``response_format``, ...). The files are
stored as the caller's uploads (kept ``file_retention_hours``) and their gateway URLs go
to the model's input-image parameter in its edit mode (:mod:`image_inputs`); a model that
takes no input image is a 400. ``mask`` goes to the model's mask parameter when it has
one, and is named in ``X-Ignored-Params`` otherwise. The rest is translated as for
generations, the tasks run the same submit / wait / attach path (a retry with the same
fields and the same files attaches), and the answer is the same ImagesResponse.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from apiinone.api.deps import CurrentPrincipal, GatewayDep
from apiinone.api.shapes.openai import openai_content
from apiinone.auth.principal import Principal
from apiinone.errors import InvalidRequest
from apiinone.openai_compat.bodies import ImageEditCreate, parse_body
from apiinone.openai_compat.config import default_image_model, wait_seconds
from apiinone.openai_compat.image_edit_form import ImageFile, read_edit_form
from apiinone.openai_compat.image_fields import (
    EDIT_FIELDS,
    form_values,
    ignored_fields,
    mask_param,
    native_fields,
    refuse_unknown,
)
from apiinone.openai_compat.image_inputs import edit_variant, input_binding
from apiinone.openai_compat.images import IMAGE_ENDPOINT, image_bodies, images_answer
from apiinone.openai_compat.jobs import run_tasks
from apiinone.openai_compat.resolve import resolve_model
from apiinone.runtime import Runtime
from apiinone.storage.files import absolute_url, save_upload
from apiinone.wire import FastJSON

__all__ = ["EDIT_PATH", "router"]

router = APIRouter(prefix="/v1/images", tags=["openai"])

EDIT_PATH = "/v1/images/edits"

EDIT_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["image", "prompt"],
                "properties": {
                    "image": {
                        "anyOf": [
                            {"type": "string", "format": "binary"},
                            {"type": "array", "items": {"type": "string", "format": "binary"}},
                        ]
                    },
                    "prompt": {"type": "string"},
                    "mask": {"type": "string", "format": "binary"},
                    "model": {"type": "string"},
                    "n": {"type": "integer", "minimum": 1, "maximum": 10},
                    "size": {"type": "string"},
                    "response_format": {"type": "string", "enum": ["url", "b64_json"]},
                },
            }
        }
    },
}


async def _store(gateway: Runtime, principal: Principal, image: ImageFile) -> str:
    stored = await save_upload(
        gateway.db,
        gateway.store,
        account_id=principal.account_id,
        name=image.name,
        content_type=image.content_type,
        data=image.data,
        retention_hours=gateway.settings.file_retention_hours,
    )
    return absolute_url(gateway.settings.base_url, stored.path)


@router.post(
    "/edits",
    summary="Edit images (OpenAI Images, synchronous)",
    responses={200: openai_content("ImagesResponse", "The edited images")},
    openapi_extra={"requestBody": EDIT_BODY},
)
async def edit_images(
    request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    settings = gateway.settings
    form = await read_edit_form(request, settings.max_input_bytes)
    refuse_unknown(form.fields, EDIT_FIELDS, gateway.catalog, IMAGE_ENDPOINT)
    given = {name: value for name, value in form.fields.items() if name in EDIT_FIELDS}
    req = parse_body(ImageEditCreate, given)
    if req.stream:
        raise InvalidRequest("Streaming image edits are not supported", param="stream")
    name = req.model or default_image_model(settings)
    resolved = resolve_model(gateway.catalog, principal, name, "image", endpoint=IMAGE_ENDPOINT)
    model = resolved.model
    binding = input_binding(gateway.catalog, model, IMAGE_ENDPOINT, len(form.images))
    native, ignored_native = native_fields(model, form.fields, EDIT_FIELDS)
    native = form_values(model, native)
    inputs = binding.params([await _store(gateway, principal, image) for image in form.images])
    mask = mask_param(model)
    if form.mask is not None and mask is not None:
        inputs[mask] = await _store(gateway, principal, form.mask)
    run_as = edit_variant(model, name or model.slug)
    bodies = [{**one, **native, **inputs} for one in image_bodies(model, run_as, req)]
    with_mask = {**given, "mask": "file"} if form.mask is not None else given
    ignored = ignored_fields(model, with_mask, req, bodies[0]) + ignored_native
    answer = await run_tasks(
        gateway,
        principal,
        EDIT_PATH,
        form.fingerprint_body(),
        IMAGE_ENDPOINT,
        bodies,
        wait_seconds(settings),
    )
    return await images_answer(gateway, request, answer, req, ignored)
