"""Validate a request body against the catalog: resolve the model, check every field."""

from __future__ import annotations

from dataclasses import dataclass

from apiinone.errors import InvalidRequest, NotFound

from .catalog import Catalog, Resolved, normalise_endpoint
from .spec import ModelSpec
from .values import check_fields

__all__ = ["ValidatedRequest", "validate_request"]

_SHOWN_NAME = 100


@dataclass(frozen=True)
class ValidatedRequest:
    """A checked request: the model, its variant, and params with defaults filled in.

    ``params`` never holds ``model``; it keeps ``callback_url`` when the client sent one.
    """

    model: ModelSpec
    variant: str | None
    params: dict[str, object]


def validate_request(catalog: Catalog, endpoint_path: str, body: object) -> ValidatedRequest:
    """Check ``body`` for ``endpoint_path`` or raise :class:`InvalidRequest` naming the field
    (:class:`NotFound` for a model no name in the catalog answers to)."""
    if not isinstance(body, dict) or not all(isinstance(k, str) for k in body):
        raise InvalidRequest("The request body must be a JSON object")
    resolved = _resolve(catalog, normalise_endpoint(endpoint_path), body)
    model = resolved.model
    fields = {k: v for k, v in body.items() if k != "model"}
    params = check_fields(
        model.params,
        fields,
        "",
        variant=resolved.variant,
        additional=False,
        also_allowed=("model",),
    )
    for group in model.require_any_of:
        if not any(name in params for name in group):
            names = ", ".join(f"'{name}'" for name in group)
            raise InvalidRequest(f"Give at least one of {names}", param=group[0])
    return ValidatedRequest(model=model, variant=resolved.variant, params=params)


def _resolve(catalog: Catalog, endpoint: str, body: dict[str, object]) -> Resolved:
    models = catalog.for_endpoint(endpoint)
    if not models:
        raise InvalidRequest(f"No model is served on {endpoint}")
    listed = ", ".join(m.slug for m in models)
    if "model" not in body:
        default = catalog.default_for_endpoint(endpoint)
        if default is None:
            raise InvalidRequest(
                f"'model' is required. Models on this endpoint: {listed}", param="model"
            )
        return Resolved(default, default.variants.default if default.variants else None)
    name = body["model"]
    if not isinstance(name, str):
        raise InvalidRequest(
            f"'model' must be a string. Models on this endpoint: {listed}", param="model"
        )
    shown = name if len(name) <= _SHOWN_NAME else name[:_SHOWN_NAME] + "..."
    resolved = catalog.get(name, endpoint)
    if resolved is None:
        raise NotFound(f"Unknown model '{shown}'. Models on this endpoint: {listed}", param="model")
    if resolved.model.endpoint != endpoint:
        raise InvalidRequest(
            f"Model '{shown}' is served by POST {resolved.model.endpoint}, not {endpoint}",
            param="model",
        )
    return resolved
