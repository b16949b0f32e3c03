"""Validate our OpenAI-compatible answers against the official OpenAI OpenAPI schemas.

The schemas are a pinned extract (tests/fixtures/openai/schemas.json). OpenAPI's
``nullable: true`` is turned into JSON Schema's ``"null"`` type before validating.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "openai" / "schemas.json"


def _nullable(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _nullable(v) for k, v in node.items()}
        if node.pop("nullable", False):
            if isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
            kind = node.get("type")
            if isinstance(kind, str):
                node["type"] = [kind, "null"]
            elif isinstance(kind, list) and "null" not in kind:
                node["type"] = [*kind, "null"]
            elif "$ref" in node or "anyOf" in node or "oneOf" in node or "allOf" in node:
                node = {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


@lru_cache
def _components() -> dict[str, Any]:
    return _nullable(json.loads(SCHEMAS.read_text()))  # type: ignore[no-any-return]


def validate(name: str, instance: Any) -> None:
    """Raise jsonschema.ValidationError unless ``instance`` matches the OpenAI schema."""
    schema = {"$ref": f"#/components/schemas/{name}", **_components()}
    Draft202012Validator(schema).validate(instance)


def validate_error(body: Any, status: int) -> None:
    """OpenAI's ErrorResponse, with one documented difference: our ``code`` is the HTTP
    status as an integer (DESIGN.md section 2), where OpenAI's is a string or null."""
    assert body["error"]["code"] == status
    validate("ErrorResponse", {"error": {**body["error"], "code": str(status)}})
