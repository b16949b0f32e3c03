"""JSON Schema (2020-12) of each model's request body, and its public descriptions."""

from __future__ import annotations

from collections.abc import Mapping

from .combinations import schema_rules
from .pricing import price_bounds, price_summary, price_table
from .spec import ModelSpec, ParamSpec, Scalar
from .values import NUMERIC_STRING_PATTERN, URL_PATTERN

__all__ = ["json_schema", "list_item", "public_model"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(model: ModelSpec) -> dict[str, object]:
    """The request body of ``model`` as a JSON Schema; ``additionalProperties`` is false."""
    model_field: dict[str, object] = {
        "type": "string",
        "enum": list(model.names),
        "description": "The model: its slug, an alias, or a variant name.",
    }
    if not model.model_field_required:
        model_field["default"] = model.slug
    schema: dict[str, object] = {
        "$schema": _DIALECT,
        "title": f"{model.display_name} request ({model.slug})",
        "type": "object",
        "properties": {"model": model_field, **{n: _param(p) for n, p in model.params.items()}},
        "required": (["model"] if model.model_field_required else []) + _required(model.params),
        "additionalProperties": False,
    }
    rules = _conditions(model.params, model)
    rules.extend(
        {"anyOf": [{"required": [name]} for name in group]} for group in model.require_any_of
    )
    rules.extend(schema_rules(model))
    if rules:
        schema["allOf"] = rules
    return schema


def public_model(model: ModelSpec) -> dict[str, object]:
    """The body of ``GET /api/v1/models/{slug}``."""
    variants = model.variants
    return {
        **list_item(model),
        "description": model.description,
        "model_field_required": model.model_field_required,
        "timeout_seconds": model.timeout_seconds,
        "variants": None
        if variants is None
        else {
            "default": variants.default,
            "values": list(variants.values),
            "aliases": dict(variants.aliases),
        },
        "price": {
            "summary": price_summary(model),
            "table": price_table(model),
            "minimum": model.price.minimum,
            "range": _range(model),
            "operator_set": model.operator_set,
            "note": model.price.note,
        },
        "parameters": json_schema(model),
    }


def list_item(model: ModelSpec) -> dict[str, object]:
    """The short form of a model for ``GET /api/v1/models``."""
    return {
        "slug": model.slug,
        "object": "model",
        "display_name": model.display_name,
        "kind": model.kind,
        "endpoint": model.endpoint,
        "provider": model.provider,
        "aliases": list(model.aliases),
        "capabilities": list(model.capabilities),
        "price_summary": price_summary(model),
    }


def _range(model: ModelSpec) -> list[int] | None:
    bounds = price_bounds(model)
    return None if bounds is None else list(bounds)


def _required(params: Mapping[str, ParamSpec]) -> list[str]:
    return [name for name, spec in params.items() if spec.required]


def _param(spec: ParamSpec) -> dict[str, object]:
    schema = _shape(spec)
    if spec.description:
        schema["description"] = spec.description
    if spec.default is not None:
        schema["default"] = spec.default
    if spec.nullable:
        return {"anyOf": [schema, {"type": "null"}], **_annotations(schema)}
    return schema


def _annotations(schema: Mapping[str, object]) -> dict[str, object]:
    return {k: schema[k] for k in ("description", "default") if k in schema}


def _shape(spec: ParamSpec) -> dict[str, object]:
    if spec.type == "string":
        return _string(spec)
    if spec.type in ("integer", "number"):
        return _numeric(spec)
    if spec.type == "boolean":
        return {"type": "boolean"}
    if spec.type == "array":
        schema: dict[str, object] = {"type": "array", "maxItems": spec.max_items}
        if spec.min_items is not None:
            schema["minItems"] = spec.min_items
        if spec.items is not None:
            schema["items"] = _param(spec.items)
        return schema
    if spec.type == "object":
        return _object(spec)
    return {"anyOf": [_param(alt) for alt in spec.any_of]}


def _string(spec: ParamSpec) -> dict[str, object]:
    if spec.enum is not None:
        if spec.numeric_string_enum:
            numbers = [int(str(v)) for v in spec.enum]
            return {
                "anyOf": [
                    {"type": "string", "enum": list(spec.enum)},
                    {"type": "integer", "enum": numbers},
                ]
            }
        return {"type": "string", "enum": list(spec.enum)}
    schema: dict[str, object] = {"type": "string", "maxLength": spec.max_length}
    if spec.min_length:
        schema["minLength"] = spec.min_length
    if spec.pattern is not None:
        schema["pattern"] = spec.pattern
    if spec.format == "url":
        schema["format"] = "uri"
        schema["pattern"] = URL_PATTERN
    return schema


def _numeric(spec: ParamSpec) -> dict[str, object]:
    schema: dict[str, object] = {"type": spec.type}
    if spec.enum is not None:
        schema["enum"] = list(spec.enum)
    for key, value in (
        ("minimum", spec.minimum),
        ("maximum", spec.maximum),
        ("exclusiveMinimum", spec.exclusive_minimum),
    ):
        if value is not None and spec.enum is None:
            schema[key] = value
    if spec.accept_numeric_string:
        return {"anyOf": [schema, {"type": "string", "pattern": NUMERIC_STRING_PATTERN}]}
    return schema


def _object(spec: ParamSpec) -> dict[str, object]:
    schema: dict[str, object] = {
        "type": "object",
        "additionalProperties": spec.additional_properties,
    }
    if spec.properties:
        schema["properties"] = {name: _param(p) for name, p in spec.properties.items()}
        required = _required(spec.properties)
        if required:
            schema["required"] = required
        rules = _conditions(spec.properties, None)
        if rules:
            schema["allOf"] = rules
    return schema


def _conditions(
    params: Mapping[str, ParamSpec], model: ModelSpec | None
) -> list[dict[str, object]]:
    """``required_when`` as ``if``/``then``; absent params match when ``want`` is their default."""
    rules: list[dict[str, object]] = []
    for name, spec in params.items():
        if not spec.required_when:
            continue
        properties: dict[str, object] = {}
        present: list[str] = []
        for key, want in spec.required_when:
            if key == "variant" and model is not None and model.variants is not None:
                variants = model.variants
                names = list(variants.names_for(str(want)))
                if want == variants.default:
                    names[:0] = [model.slug, *model.aliases]
                else:
                    present.append("model")
                properties["model"] = {"enum": names}
                continue
            other = params[key]
            properties[key] = {"enum": _raw_forms(other, want)}
            if other.default != want or isinstance(other.default, bool) != isinstance(want, bool):
                present.append(key)
        condition: dict[str, object] = {"properties": properties}
        if present:
            condition["required"] = present
        rules.append({"if": condition, "then": {"required": [name]}})
    return rules


def _raw_forms(spec: ParamSpec, value: Scalar) -> list[object]:
    """Every JSON value the validator turns into ``value``."""
    if spec.numeric_string_enum:
        return [value, int(str(value))]
    if spec.accept_numeric_string and isinstance(value, int) and not isinstance(value, bool):
        return [value, str(value)]
    return [value]
