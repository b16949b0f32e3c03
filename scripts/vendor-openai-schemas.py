"""Write src/apiinone/api/shapes/openai_schemas.json: the OpenAI schemas the /v1 routes are
documented with, and everything they refer to, from OpenAI's OpenAPI document.

Source: openai/openai-openapi (MIT). OpenAPI 3.0's ``nullable: true`` becomes JSON Schema's
``"null"`` type, since the gateway's document is OpenAPI 3.1. A name the gateway's own
document also uses (``Error``) gets the prefix ``OpenAI``. For client generators, which name
classes by ``title`` and merge ``allOf`` members property by property: titles are dropped
(two schemas share some), and in an ``allOf`` a property that a referenced member defines is
not redefined by an inline member (OpenAI's refinements narrow an enum or drop a ``null``;
the document then allows a little more than OpenAI's, never less). Run from the repository
root:

    python scripts/vendor-openai-schemas.py ../shared/openai-openapi/openapi.yaml
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOTS = [
    "CreateChatCompletionRequest",
    "CreateChatCompletionResponse",
    "CreateImageRequest",
    "ImagesResponse",
    "CreateSpeechRequest",
    "CreateVideoJsonBody",
    "CreateVideoMultipartBody",
    "CreateVideoRemixBody",
    "VideoResource",
    "VideoListResource",
    "DeletedVideoResource",
    "ListModelsResponse",
    "Model",
    "CreateResponse",
    "Response",
    "ResponseItemList",
]
OURS = {"Error"}  # names of the gateway's own schemas
PREFIX = "#/components/schemas/"
OUT = Path(__file__).resolve().parents[1] / "src/apiinone/api/shapes/openai_schemas.json"


def refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(PREFIX):
            found.add(ref.removeprefix(PREFIX))
        for value in node.values():
            found |= refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs(value)
    return found


def renamed(name: str) -> str:
    return "OpenAI" + name if name in OURS else name


def convert(node: Any) -> Any:
    """``nullable`` as a ``"null"`` type; references to renamed schemas renamed."""
    if isinstance(node, list):
        return [convert(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: convert(v) for k, v in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(PREFIX):
        node["$ref"] = PREFIX + renamed(ref.removeprefix(PREFIX))
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


def untitled(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: untitled(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))
        }
    if isinstance(node, list):
        return [untitled(v) for v in node]
    return node


def unrefined(schema: Any, schemas: dict[str, Any]) -> Any:
    """An ``allOf`` without inline redefinitions of its referenced members' properties."""
    members = schema.get("allOf") if isinstance(schema, dict) else None
    if not isinstance(members, list):
        return schema
    defined: set[str] = set()
    for member in members:
        ref = member.get("$ref", "")
        target = schemas.get(ref.removeprefix(PREFIX), {}) if ref.startswith(PREFIX) else {}
        defined |= set(target.get("properties", {}))
    kept = []
    for member in members:
        if "properties" in member and "$ref" not in member:
            props = {k: v for k, v in member["properties"].items() if k not in defined}
            member = {**member, "properties": props}
        kept.append(member)
    return {**schema, "allOf": kept}


def main(source: str) -> None:
    document = yaml.load(Path(source).read_text(), Loader=yaml.CSafeLoader)
    schemas = document["components"]["schemas"]
    wanted: dict[str, Any] = {}
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted[name] = schemas[name]
        todo.extend(refs(schemas[name]) - set(wanted))
    converted = {renamed(name): untitled(convert(s)) for name, s in sorted(wanted.items())}
    out = {name: unrefined(schema, converted) for name, schema in converted.items()}
    OUT.write_text(json.dumps(out, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"{len(out)} schemas -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
