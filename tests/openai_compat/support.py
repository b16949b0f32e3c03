"""Helpers for the /v1 tests: OpenAI SDK clients on the session server, schema checks."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped,unused-ignore]
import openai

from tests.support.server import Server

SCHEMAS = Path(__file__).parent / "schemas"


def sdk(server: Server, key: str) -> openai.OpenAI:
    """The official client, as a user would build it; no retries, so 5xx surface at once."""
    return openai.OpenAI(api_key=key, base_url=f"{server.url}/v1", max_retries=0, timeout=60)


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.json").read_text())
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def validate(instance: Any, name: str) -> None:
    jsonschema.Draft202012Validator(schema(name)).validate(instance)


def is_mp4(data: bytes) -> bool:
    return len(data) > 12 and data[4:8] == b"ftyp"


def is_mp3(data: bytes) -> bool:
    return data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
