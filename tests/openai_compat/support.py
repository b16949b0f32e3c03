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


def tasks_of(server: Server, key: str) -> list[dict[str, Any]]:
    """Every task of the key's account (``GET /api/v1/tasks``, all pages)."""
    return _pages(server, key, "/api/v1/tasks")


def ledger_of(server: Server, key: str) -> list[dict[str, Any]]:
    """Every ledger row of the key's account (``GET /api/v1/usage``, all pages)."""
    return _pages(server, key, "/api/v1/usage")


def _pages(server: Server, key: str, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    with server.client(key) as c:
        for _ in range(100):
            params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            r = c.get(path, params=params)
            assert r.status_code == 200, r.text
            page = r.json()["data"]
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items
    raise AssertionError(f"{path} has more than 100 pages")
