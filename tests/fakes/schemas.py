"""The providers' published input schemas (tests/fixtures/<provider>/schemas/), checked.

A fixture is found by its *route key*: what the request's path (and, for Replicate, its
body) names as the upstream endpoint.

=============  ============================================  ==============================
provider       request                                       route key, what is checked
=============  ============================================  ==============================
fal            ``POST /{endpoint id}``                       the endpoint id; the body
replicate      ``POST /v1/models/{owner}/{name}/predictions``  ``owner/name``; ``input``
               ``POST /v1/predictions`` ``{version}``          the version id; ``input``
wavespeed      ``POST /api/v3/{model id}``                   the model id; the body
minimax        ``POST /v1/video_generation``                 ``video_generation``; the body
elevenlabs     ``POST /v1/text-to-dialogue``                 ``text-to-dialogue``; the body
suno           ``POST /api/v1/{route}``                      the route; the body
removebg       ``POST /v1.0/removebg`` (a form)              ``removebg``; the form fields
openai,        ``POST [/v1]/images/generations``             ``images/generations``; the body
zhipu, ...     ``POST [/v1]/chat/completions``               ``chat/completions``; the body
gemini         ``POST /v1beta/models/{model}:{method}``      the method; the body
=============  ============================================  ==============================

Both the fake upstreams and the contract matrix use :func:`subject` and :func:`violations`,
so a body the matrix passes is one the fakes accept.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

__all__ = ["FIXTURES", "has_schema", "subject", "summary", "violations"]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_PREFIXES = {
    "wavespeed": "/api/v3/",
    "suno": "/api/v1/",
    "minimax": "/v1/",
    "elevenlabs": "/v1/",
    "removebg": "/v1.0/",
}


@functools.cache
def _index(provider: str) -> dict[str, str]:
    path = FIXTURES / provider / "schemas" / "index.json"
    if not path.exists():
        return {}
    index: dict[str, str] = json.loads(path.read_text())
    return index


@functools.cache
def _validator(provider: str, key: str) -> Draft202012Validator | None:
    name = _index(provider).get(key)
    if name is None:
        return None
    file, _, pointer = name.partition("#")  # "../schemas.json#/components/schemas/X"
    schema = json.loads((FIXTURES / provider / "schemas" / file).read_text())
    if pointer:
        schema = {"$ref": f"#{pointer}", **schema}
    return Draft202012Validator(schema)


def subject(provider: str, path: str, body: Any) -> tuple[str, Any]:
    """The route key of a request to ``provider`` and the part of its body to check."""
    path = "/" + path.lstrip("/")
    if provider == "replicate":
        parts = path.strip("/").split("/")
        instance = body.get("input") if isinstance(body, dict) else None
        if parts[:2] == ["v1", "models"] and len(parts) >= 5:
            return f"{parts[2]}/{parts[3]}", instance
        version = body.get("version") if isinstance(body, dict) else None
        return str(version).rpartition(":")[2], instance
    if provider == "gemini":  # /v1beta/models/{model}:generateContent
        return path.rpartition(":")[2], body
    if provider in ("openai", "zhipu", "onekeymodel"):
        return path.split("/v1/", 1)[-1].strip("/").removeprefix("api/paas/v4/"), body
    prefix = _PREFIXES.get(provider, "/")
    key = path[len(prefix) :] if path.startswith(prefix) else path.lstrip("/")
    return key.strip("/"), body


def has_schema(provider: str, key: str) -> bool:
    return key in _index(provider)


def violations(provider: str, key: str, instance: Any) -> list[dict[str, Any]]:
    """Every way ``instance`` breaks the fixture schema of ``key``, as FastAPI-style
    ``{loc, msg, type}`` items (``loc`` starts with ``"body"``); [] when it conforms or when
    the provider publishes no schema we hold for that key."""
    validator = _validator(provider, key)
    if validator is None:
        return []
    out = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        out.append(
            {
                "loc": ["body", *error.absolute_path],
                "msg": error.message,
                "type": str(error.validator),
            }
        )
    return out


def summary(problems: list[dict[str, Any]]) -> str:
    """``"duration: 5 is not of type 'string'; ..."`` for the envelopes that carry one text."""
    return "; ".join(
        f"{'.'.join(str(p) for p in item['loc'][1:]) or 'body'}: {item['msg']}" for item in problems
    )
