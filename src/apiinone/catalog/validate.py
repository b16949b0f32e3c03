"""Validate a request body against the catalog: resolve the model, check every field."""

from __future__ import annotations

from dataclasses import dataclass, field

from apiinone.errors import InvalidRequest, NotFound

from .catalog import Catalog, Resolved, normalise_endpoint
from .combinations import check_combinations
from .field_lists import DOCS_FIELDS, adapt_fields, endpoint_fields
from .length_limits import TIER_FROM_SOURCE, check_version_limits
from .spec import ModelSpec
from .values import check_fields

__all__ = ["ValidatedRequest", "validate_request"]

_SHOWN_NAME = 100


@dataclass(frozen=True)
class ValidatedRequest:
    """A checked request: the model, its variant, and params with defaults filled in.

    ``params`` never holds ``model``; it keeps ``callback_url`` when the client sent one.
    ``sent`` is the client's fields as the model takes them (mapped names, ignored fields
    gone), ``model_name`` the ``model`` to store with them; ``warnings`` name what was
    ignored (``field_lists.py``).
    """

    model: ModelSpec
    variant: str | None
    params: dict[str, object]
    sent: dict[str, object] = field(default_factory=dict)
    model_name: str | None = None
    ignored: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def validate_request(catalog: Catalog, endpoint_path: str, body: object) -> ValidatedRequest:
    """Check ``body`` for ``endpoint_path`` or raise :class:`InvalidRequest` naming the field
    (:class:`NotFound` for a model no name in the catalog answers to)."""
    if not isinstance(body, dict) or not all(isinstance(k, str) for k in body):
        raise InvalidRequest("The request body must be a JSON object")
    endpoint = normalise_endpoint(endpoint_path)
    resolved = _resolve(catalog, endpoint, body)
    model = resolved.model
    variant = resolved.variant
    fields = {k: v for k, v in body.items() if k != "model"}
    given = body.get("model")
    model_name = given if isinstance(given, str) else None
    ignored: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    if endpoint in DOCS_FIELDS:
        named = model_name is not None and model_name not in (model.slug, *model.aliases)
        adapted = adapt_fields(
            model,
            variant,
            fields,
            endpoint_fields(catalog.for_endpoint(endpoint), endpoint),
            variant_named=named,
        )
        if "model" in adapted.mapped.values():  # a docs field chose the sub-model
            variant = model_name = adapted.variant
        fields, ignored, warnings = adapted.fields, adapted.ignored, adapted.warnings
    params = check_fields(
        model.params,
        fields,
        "",
        variant=variant,
        additional=False,
        also_allowed=("model",),
    )
    if model_name is not None or model.slug not in TIER_FROM_SOURCE:
        check_version_limits(model, variant, params)
    for group in model.require_any_of:
        if not any(name in params for name in group):
            names = ", ".join(f"'{name}'" for name in group)
            raise InvalidRequest(f"Give at least one of {names}", param=group[0])
    check_combinations(model, params)
    return ValidatedRequest(
        model=model,
        variant=variant,
        params=params,
        sent=fields,
        model_name=model_name,
        ignored=ignored,
        warnings=warnings,
    )


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
