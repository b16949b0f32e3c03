"""Response rendering: orjson bodies, the native envelope, ISO timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import JSONResponse

__all__ = ["FastJSON", "envelope", "iso"]


class FastJSON(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def envelope(data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> FastJSON:
    """The native API's body: ``{"code": 200, "message": "success", "data": ...}``."""
    return FastJSON(
        {"code": 200, "message": "success", "data": data},
        status_code=status_code,
        headers=headers,
    )


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return (
        datetime.fromtimestamp(ms / 1000, tz=UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
