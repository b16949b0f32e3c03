"""Example request bodies built from a model's JSON Schema (models page, playground)."""

from __future__ import annotations

import shlex
from typing import Any, cast

import orjson

from apiinone.catalog import ModelSpec, json_schema

__all__ = ["curl_command", "example_body", "parameter_rows"]

_TEXT = {
    "prompt": "A serene Japanese garden with cherry blossoms, koi pond and a wooden bridge",
    "gpt_description_prompt": "An upbeat synth-pop song about a summer road trip",
    "text": "Hello! This is API in One speaking.",
    "style": "synth-pop, upbeat",
    "title": "Road Trip",
}
_URLS = {"video": "https://example.com/input.mp4", "audio": "https://example.com/input.mp3"}


def _pick(schema: dict[str, Any]) -> dict[str, Any]:
    """The first non-null alternative of an ``anyOf``, recursively."""
    while "anyOf" in schema and "type" not in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        schema = {**options[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
    return schema


def _value(name: str, schema: dict[str, Any]) -> Any:
    schema = _pick(schema)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "uri":
            return next(
                (url for word, url in _URLS.items() if word in name),
                "https://example.com/input.png",
            )
        return _TEXT.get(name, "example")
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "array":
        item = schema.get("items", {"type": "string"})
        return [_value(name, item) for _ in range(max(1, int(schema.get("minItems", 1))))]
    if kind == "object":
        props = schema.get("properties", {})
        return {key: _value(key, props[key]) for key in schema.get("required", []) if key in props}
    return None


def example_body(model: ModelSpec) -> dict[str, Any]:
    """The smallest useful request: the required fields (and a prompt when there is one)."""
    schema = cast(dict[str, Any], json_schema(model))
    props: dict[str, Any] = schema["properties"]
    wanted: list[str] = [n for n in schema["required"] if n != "model"]
    wanted += [group[0] for group in model.require_any_of if not set(group) & set(wanted)]
    if "prompt" in props and "prompt" not in wanted:
        wanted.insert(0, "prompt")
    body: dict[str, Any] = {"model": model.slug} if model.model_field_required else {}
    if model.kind == "chat":
        body["messages"] = [{"role": "user", "content": "Say hello in three languages."}]
        return body
    # Choices with a default (aspect ratio, resolution, ...) show what can be set.
    wanted += [
        name
        for name, prop in props.items()
        if name not in wanted and name != "model" and "enum" in _pick(prop) and "default" in prop
    ][:4]
    for name in wanted:
        body[name] = _value(name, props[name])
    return body


def curl_command(base_url: str, endpoint: str, body: dict[str, Any]) -> str:
    data = orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()
    return (
        f"curl {shlex.quote(base_url.rstrip('/') + endpoint)} \\\n"
        '  -H "Authorization: Bearer $AIO_KEY" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d {shlex.quote(data)}"
    )


def _describe_type(schema: dict[str, Any]) -> str:
    schema = _pick(schema)
    kind = schema.get("type", "any")
    if kind == "array":
        item = _pick(schema.get("items", {}))
        return f"array of {item.get('type', 'any')}"
    if schema.get("format") == "uri":
        return "URL"
    return str(kind)


def _allowed(schema: dict[str, Any]) -> str:
    schema = _pick(schema)
    if "enum" in schema:
        return ", ".join(str(v) for v in schema["enum"])
    parts = []
    if "minimum" in schema:
        parts.append(f"≥ {schema['minimum']}")
    if "exclusiveMinimum" in schema:
        parts.append(f"> {schema['exclusiveMinimum']}")
    if "maximum" in schema:
        parts.append(f"≤ {schema['maximum']}")
    if schema.get("type") == "string" and "maxLength" in schema and schema.get("format") != "uri":
        low = schema.get("minLength", 0)
        parts.append(f"{low} to {schema['maxLength']} chars")
    if schema.get("type") == "array" and "maxItems" in schema:
        parts.append(f"up to {schema['maxItems']} items")
    return ", ".join(parts)


def parameter_rows(model: ModelSpec) -> list[dict[str, Any]]:
    """One row per parameter for the models page: type, required, default, allowed."""
    schema = cast(dict[str, Any], json_schema(model))
    props: dict[str, Any] = schema["properties"]
    required = set(schema["required"])
    rows = []
    for name, prop in props.items():
        picked = _pick(prop)
        rows.append(
            {
                "name": name,
                "type": _describe_type(prop),
                "required": name in required,
                "default": prop.get("default", picked.get("default")),
                "allowed": _allowed(prop) if name != "model" else ", ".join(picked["enum"]),
                "description": prop.get("description") or picked.get("description") or "",
            }
        )
    return rows
