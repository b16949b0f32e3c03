"""Where a catalog image model takes the images of an OpenAI ``images.edit``.

A model takes input images when it has one of :data:`INPUT_PARAMS` (a list of URLs, or
ideogram's single ``image``); the first it has receives the uploaded files' URLs. The
model's edit mode is chosen with them: a ``type`` whose values include ``edit``
(``hunyuan-image-3``) is set to it, and a model with an edit variant
(``seedream/4.5-edit``) runs that variant unless the request named a variant itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apiinone.catalog import Catalog, ModelSpec
from apiinone.errors import InvalidRequest

__all__ = ["INPUT_PARAMS", "InputBinding", "edit_variant", "input_binding", "models_with_input"]

INPUT_PARAMS = ("input_urls", "image_urls", "images", "image")
EDIT_WORD = "edit"


@dataclass(frozen=True, slots=True)
class InputBinding:
    """The parameter that takes the input images, how many, and the edit mode's settings."""

    param: str
    many: bool
    most: int | None
    mode: dict[str, Any]

    def params(self, urls: list[str]) -> dict[str, Any]:
        return {**self.mode, self.param: urls if self.many else urls[0]}


def _binding(model: ModelSpec) -> InputBinding | None:
    for name in INPUT_PARAMS:
        spec = model.params.get(name)
        if spec is None:
            continue
        if spec.type == "array" and spec.items is not None and spec.items.format == "url":
            most = spec.max_items
            return InputBinding(name, True, most, _mode(model))
        if spec.type == "string" and spec.format == "url":
            return InputBinding(name, False, 1, _mode(model))
    return None


def _mode(model: ModelSpec) -> dict[str, Any]:
    kind = model.params.get("type")
    if kind is not None and kind.enum is not None and EDIT_WORD in kind.enum:
        return {"type": EDIT_WORD}
    return {}


def edit_variant(model: ModelSpec, name: str) -> str:
    """The model name to run an edit under: the model's edit variant, unless ``name``
    already is one of its variants."""
    variants = model.variants
    if variants is None or name in variants.values or name in variants.aliases:
        return name
    return next((v for v in variants.values if v.endswith(EDIT_WORD)), name)


def models_with_input(catalog: Catalog, endpoint: str) -> list[str]:
    return [m.slug for m in catalog.for_endpoint(endpoint) if _binding(m) is not None]


def input_binding(catalog: Catalog, model: ModelSpec, endpoint: str, count: int) -> InputBinding:
    """Where ``model`` takes ``count`` input images, or a 400 that lists the models that do."""
    binding = _binding(model)
    if binding is None:
        listed = ", ".join(models_with_input(catalog, endpoint)) or "none"
        raise InvalidRequest(
            f"Model '{model.slug}' takes no input image, so it cannot edit one; "
            f"models that do: {listed}",
            param="model",
        )
    if binding.most is not None and count > binding.most:
        raise InvalidRequest(
            f"'image': {model.slug} takes at most {binding.most} input image"
            f"{'s' if binding.most != 1 else ''}, {count} were sent",
            param="image",
        )
    return binding
