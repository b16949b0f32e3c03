"""Which fields of a ``/v1/images`` request are OpenAI's, ours, or nobody's.

* **OpenAI's** — the properties of OpenAI's ``CreateImageRequest`` (generations) and
  ``CreateImageEditRequest`` (edits): accepted on every model. Those the chosen model cannot
  honour (``user``, ``moderation``, a ``style`` it has no word for, ...) are named in the
  answer's ``X-Ignored-Params`` header.
* **Ours** — the parameters of the catalog's image models (``negative_prompt``, ``seed``,
  ``aspect_ratio``, ...): the chosen model's own are passed on as given (over what an
  OpenAI field was mapped to); another model's are ignored and named in the header too.
  ``n`` decides how many images, so a model's own count parameter is ignored here.
* **Nobody's** — any other name is a 400 ``invalid_request`` naming the field, as chat does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from apiinone.catalog import Catalog, ModelSpec
from apiinone.errors import InvalidRequest
from apiinone.openai_compat.bodies import ImageGenerationCreate
from apiinone.openai_compat.sizes import parse_size, size_params

__all__ = [
    "COUNT_PARAMS",
    "EDIT_FIELDS",
    "GENERATION_FIELDS",
    "IGNORED_HEADER",
    "form_values",
    "ignored_fields",
    "mask_param",
    "native_fields",
    "refuse_unknown",
]

IGNORED_HEADER = "X-Ignored-Params"
COUNT_PARAMS = ("num_images", "n")

# OpenAI's request schemas (openapi.yaml: CreateImageRequest, CreateImageEditRequest).
GENERATION_FIELDS = frozenset(
    {
        "prompt",
        "model",
        "n",
        "quality",
        "response_format",
        "output_format",
        "output_compression",
        "stream",
        "partial_images",
        "size",
        "moderation",
        "background",
        "style",
        "user",
    }
)
EDIT_FIELDS = frozenset(
    {
        "image",
        "prompt",
        "mask",
        "background",
        "model",
        "n",
        "size",
        "response_format",
        "output_format",
        "output_compression",
        "user",
        "input_fidelity",
        "stream",
        "partial_images",
        "quality",
    }
)
# OpenAI fields each route always honours (or refuses when it cannot, like ``stream``).
_HONOURED = frozenset({"prompt", "model", "n", "response_format", "stream", "image"})
# OpenAI fields passed on under the same name when the model has that parameter.
_SAME_NAME = ("quality", "style", "background", "output_format")
_MASK_PARAMS = ("mask_image",)


def _native_names(catalog: Catalog, endpoint: str) -> set[str]:
    return {name for model in catalog.for_endpoint(endpoint) for name in model.params}


def refuse_unknown(
    names: Iterable[str], openai_fields: frozenset[str], catalog: Catalog, endpoint: str
) -> None:
    """A 400 naming the first field that is neither OpenAI's nor any image model's."""
    native = _native_names(catalog, endpoint)
    for name in names:
        if name not in openai_fields and name not in native:
            raise InvalidRequest(
                f"Unknown field '{name}': not a field of OpenAI's image request nor a "
                "parameter of any image model",
                param=name,
            )


def native_fields(
    model: ModelSpec, body: Mapping[str, Any], openai_fields: frozenset[str]
) -> tuple[dict[str, Any], list[str]]:
    """The fields of ``body`` that are ours: those ``model`` takes, and the ignored rest."""
    passed: dict[str, Any] = {}
    ignored: list[str] = []
    for name, value in body.items():
        if name in openai_fields:
            continue
        if name in model.params and name not in COUNT_PARAMS:
            passed[name] = value
        else:
            ignored.append(name)
    return passed, ignored


def form_values(model: ModelSpec, native: Mapping[str, Any]) -> dict[str, Any]:
    """A form's text values of the model's own parameters, typed as the parameters are
    (``"7"`` for an integer ``seed`` is 7); a value that is no JSON stays text, for the
    model's own check to name."""
    typed: dict[str, Any] = {}
    for name, value in native.items():
        spec = model.params.get(name)
        typed[name] = value
        if spec is not None and spec.type != "string" and isinstance(value, str):
            with contextlib.suppress(orjson.JSONDecodeError):
                typed[name] = orjson.loads(value)
    return typed


def _given(value: Any) -> bool:
    return value is not None and value != "" and value != "auto"


def _honoured(
    name: str, model: ModelSpec, req: ImageGenerationCreate, native_body: Mapping[str, Any]
) -> bool:
    if name in _HONOURED:
        return True
    if name == "size":
        return bool(size_params(model, parse_size(req.size)))
    if name == "mask":
        return mask_param(model) is not None
    return name in _SAME_NAME and name in native_body


def ignored_fields(
    model: ModelSpec,
    given: Mapping[str, Any],
    req: ImageGenerationCreate,
    native_body: Mapping[str, Any],
) -> list[str]:
    """The OpenAI fields of ``given`` that ``model`` cannot honour (in request order)."""
    return [
        name
        for name, value in given.items()
        if _given(value) and not _honoured(name, model, req, native_body)
    ]


def mask_param(model: ModelSpec) -> str | None:
    """The model's inpainting-mask parameter, if it has one."""
    return next((name for name in _MASK_PARAMS if name in model.params), None)
