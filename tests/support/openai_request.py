"""Valid request values built from OpenAI's own schemas (the pinned extract of
tests/fixtures/openai/schemas.json), to send every property a client may send.

``request_properties(name)`` walks a request schema (``allOf`` and ``$ref`` followed) and
gives each property's schema; ``example(schema)`` builds one valid value for it: the first
enum value, the first non-null alternative, the smallest number in range, required object
properties, ``minItems`` array items.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from tests.support.openai_schema import SCHEMAS

__all__ = ["example", "request_properties", "resolve"]


@lru_cache
def _schemas() -> dict[str, Any]:
    return json.loads(SCHEMAS.read_text())["components"]["schemas"]  # type: ignore[no-any-return]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _schemas()[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def request_properties(name: str) -> dict[str, dict[str, Any]]:
    """Every property of the request schema ``name``, through ``allOf`` and ``$ref``."""
    out: dict[str, dict[str, Any]] = {}

    def walk(schema: dict[str, Any]) -> None:
        schema = resolve(schema)
        for part in schema.get("allOf", ()):
            walk(part)
        out.update(schema.get("properties", {}))

    walk({"$ref": f"#/components/schemas/{name}"})
    return out


def example(schema: dict[str, Any], depth: int = 0, *, full: bool = False) -> Any:
    """One valid value of ``schema`` (never null); ``full`` fills optional object properties
    too (down to ``depth`` 4), not only the required ones."""
    assert depth < 12, "the schema nests too deeply for an example"
    schema = resolve(schema)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = example(part, depth + 1, full=full)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("oneOf", "anyOf"):
        if key in schema:
            alternatives = [s for s in schema[key] if resolve(s).get("type") != "null"]
            return example(alternatives[0], depth + 1, full=full)
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "string":
        return "x" * max(1, int(schema.get("minLength", 1)))
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1) if schema.get("maximum", 2) >= 1 else 0
    if kind == "number":
        low = schema.get("minimum", 0.5)
        return max(low, 0.5) if schema.get("maximum", 1) >= 0.5 else low
    if kind == "boolean":
        return True
    if kind == "array":
        return [example(schema.get("items", {"type": "string"}), depth + 1, full=full)] * max(
            1, int(schema.get("minItems", 1))
        )
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = schema.get("required", [])
        if not props and isinstance(schema.get("additionalProperties"), dict):
            # a map: "1" is a key every map takes (logit_bias keys are token ids)
            return {"1": example(schema["additionalProperties"], depth + 1, full=full)}
        names = list(props) if full and depth < 4 else [n for n in required if n in props]
        return {name: example(props[name], depth + 1, full=full) for name in names}
    return "x"
