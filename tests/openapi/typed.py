"""What "typed" means for an OpenAPI document, and checking an answer against its schema."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

__all__ = ["answer_schema", "untyped", "validate_answer"]

REF = "#/components/schemas/"
# Media types whose body is not JSON: a string schema (binary, text, events) types them.
TEXT_MEDIA = ("text/", "audio/", "video/", "image/", "*/*")


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 50:
        name = schema["$ref"].removeprefix(REF)
        assert name in components, f"dangling $ref {schema['$ref']}"
        schema = components[name]
        seen += 1
    return schema


def untyped(schema: Any, components: dict[str, Any], where: str, depth: int = 0) -> list[str]:
    """Why ``schema`` does not say what the body holds (an empty list when it does): an empty
    schema, an object without properties, or an object whose ``data`` is untyped."""
    if not isinstance(schema, dict) or not schema:
        return [f"{where}: no schema"]
    schema = _resolve(schema, components)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if not schema.get("properties"):
            return [f"{where}: an object without properties"]
        data = schema["properties"].get("data")
        if data is not None and depth == 0:
            return untyped(data, components, where + ".data", depth + 1)
        return []
    for union in ("anyOf", "oneOf", "allOf"):
        if union in schema:
            members = [m for m in schema[union] if m != {"type": "null"}]
            if not members:
                return [f"{where}: only null"]
            return [p for m in members for p in untyped(m, components, where, depth)]
    if kind == "array":
        return untyped(schema.get("items"), components, where + "[]", depth)
    if kind is None and "enum" not in schema and "const" not in schema:
        return [f"{where}: no type"]
    return []


def answer_schema(document: dict[str, Any], method: str, path: str, status: int) -> Any:
    operation = document["paths"][path][method.lower()]
    return operation["responses"][str(status)]["content"]["application/json"]["schema"]


def validate_answer(
    document: dict[str, Any], method: str, path: str, status: int, body: Any
) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``body`` is what the document declares
    for ``status`` of ``method path``."""
    schema = {**answer_schema(document, method, path, status), "components": document["components"]}
    Draft202012Validator(schema).validate(body)
