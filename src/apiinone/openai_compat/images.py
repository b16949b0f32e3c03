"""``POST /v1/images/generations``: OpenAI Images, answered synchronously from the task engine.

The OpenAI body is translated onto the chosen catalog model's own parameters:

* ``size`` → ``aspect_ratio`` / ``resolution`` / ``size`` / ``image_size`` (see
  :mod:`apiinone.openai_compat.sizes`); ``"auto"`` keeps the model's defaults;
* ``n`` → ``num_images`` (or the model's own ``n``) when it has one, in as many tasks as
  its maximum needs; otherwise ``n`` tasks of one image each;
* ``quality`` → the model's quality word of the same rank (``hd`` ≈ ``high``,
  ``standard`` ≈ ``medium`` ≈ ``basic``); ``style``, ``background``, ``output_format`` pass
  when the model has that parameter and that value; everything else (``user``, ...) is dropped.

The tasks are the same as ``POST /api/v1/images/generations`` makes (priced, held, refunded
on failure); the tasks of one request are held together or not at all. ``response_format``
``url`` (default) gives the gateway's result URLs, ``b64_json`` the stored bytes. Besides
OpenAI's ``created`` and ``data``, the answer says what it cost and which tasks made it:
``credits_consumed`` and ``task_ids`` in the body (the SDK keeps them as extra fields),
``X-Credits-Consumed`` and ``X-Task-Id`` (comma-separated) as headers. A retry of the same
request attaches to its tasks (``jobs.py``).

A request without ``model`` uses the operator's ``openai_default_image_model``. Which
fields are accepted, passed on or ignored (and named in ``X-Ignored-Params``) is
:mod:`apiinone.openai_compat.image_fields`'s; ``POST /v1/images/edits`` is in
:mod:`apiinone.openai_compat.image_edits` and answers through :func:`images_answer`.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request

from apiinone.api.deps import CurrentPrincipal, GatewayDep, JSONBody
from apiinone.api.shapes.openai import openai_body, openai_content
from apiinone.catalog import ModelSpec
from apiinone.errors import InvalidRequest
from apiinone.openai_compat.bodies import ImageGenerationCreate, parse_body
from apiinone.openai_compat.choices import quality_value, same_word
from apiinone.openai_compat.config import default_image_model, wait_seconds
from apiinone.openai_compat.image_fields import (
    COUNT_PARAMS,
    GENERATION_FIELDS,
    IGNORED_HEADER,
    ignored_fields,
    native_fields,
    refuse_unknown,
)
from apiinone.openai_compat.jobs import Answer, run_tasks
from apiinone.openai_compat.resolve import resolve_model
from apiinone.openai_compat.results import absolute, read_result, result_paths
from apiinone.openai_compat.sizes import parse_size, size_params
from apiinone.runtime import Runtime
from apiinone.tasks.rows import TaskRow
from apiinone.wire import FastJSON

__all__ = ["IMAGE_ENDPOINT", "image_bodies", "images_answer", "router"]

router = APIRouter(prefix="/v1/images", tags=["openai"])

IMAGE_ENDPOINT = "/api/v1/images/generations"
OPENAI_PATH = "/v1/images/generations"
SAME_WORD_PARAMS = ("style", "background", "output_format")


def _split_count(model: ModelSpec, base: dict[str, Any], n: int) -> list[dict[str, Any]]:
    for name in COUNT_PARAMS:
        spec = model.params.get(name)
        if spec is None or spec.type != "integer":
            continue
        most = max(1, int(spec.maximum)) if spec.maximum is not None else n
        counts = [most] * (n // most) + ([n % most] if n % most else [])
        return [{**base, name: count} for count in counts]
    return [dict(base) for _ in range(n)]


def image_bodies(model: ModelSpec, name: str, req: ImageGenerationCreate) -> list[dict[str, Any]]:
    """The native request bodies (one per task) for an OpenAI image request."""
    base: dict[str, Any] = {"model": name, "prompt": req.prompt}
    base.update(size_params(model, parse_size(req.size)))
    quality = model.params.get("quality")
    if req.quality and quality is not None:
        chosen = quality_value(quality, req.quality)
        if chosen is not None:
            base["quality"] = chosen
    for field in SAME_WORD_PARAMS:
        wanted = getattr(req, field)
        spec = model.params.get(field)
        if isinstance(wanted, str) and spec is not None:
            word = same_word(spec, wanted)
            if word is not None:
                base[field] = word
    return _split_count(model, base, req.n)


async def _image_data(
    gateway: Runtime, rows: list[TaskRow], n: int, as_b64: bool, base_url: str
) -> list[dict[str, str]]:
    paths = [path for row in rows for path in result_paths(row)][:n]
    if not as_b64:
        return [{"url": absolute(base_url, path)} for path in paths]
    out = []
    for path in paths:
        _, data = await read_result(gateway, path)
        out.append({"b64_json": base64.b64encode(data).decode("ascii")})
    return out


async def images_answer(
    gateway: Runtime,
    request: Request,
    answer: Answer,
    req: ImageGenerationCreate,
    ignored: list[str],
) -> FastJSON:
    """OpenAI's ImagesResponse for the completed tasks, with what they cost and which
    fields were ignored."""
    rows = answer.rows
    base_url = gateway.settings.public_base_url or str(request.base_url)
    data = await _image_data(gateway, rows, req.n, req.response_format == "b64_json", base_url)
    headers = answer.headers()
    if ignored:
        headers[IGNORED_HEADER] = ", ".join(ignored)
    return FastJSON(
        {
            "created": int(rows[0].created_at) // 1000,
            "data": data,
            "credits_consumed": answer.credits,
            "task_ids": answer.task_ids,
        },
        headers=headers,
    )


@router.post(
    "/generations",
    summary="Create images (OpenAI Images, synchronous)",
    responses={200: openai_content("ImagesResponse", "The images")},
    openapi_extra=openai_body("CreateImageRequest"),
)
async def create_images(
    body: JSONBody, request: Request, principal: CurrentPrincipal, gateway: GatewayDep
) -> FastJSON:
    refuse_unknown(body, GENERATION_FIELDS, gateway.catalog, IMAGE_ENDPOINT)
    given = {name: value for name, value in body.items() if name in GENERATION_FIELDS}
    req = parse_body(ImageGenerationCreate, given)
    if req.stream:
        raise InvalidRequest("Streaming image generation is not supported", param="stream")
    name = req.model or default_image_model(gateway.settings)
    resolved = resolve_model(gateway.catalog, principal, name, "image", endpoint=IMAGE_ENDPOINT)
    model = resolved.model
    native, ignored_native = native_fields(model, body, GENERATION_FIELDS)
    bodies = [{**one, **native} for one in image_bodies(model, name or model.slug, req)]
    ignored = ignored_fields(model, given, req, bodies[0]) + ignored_native
    answer = await run_tasks(
        gateway,
        principal,
        OPENAI_PATH,
        body,
        IMAGE_ENDPOINT,
        bodies,
        wait_seconds(gateway.settings),
    )
    return await images_answer(gateway, request, answer, req, ignored)
