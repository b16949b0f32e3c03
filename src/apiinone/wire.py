"""What every surface writes on the wire: orjson response bodies and ISO-8601 timestamps.

Kept below every service so that tasks, webhooks and the chat surfaces render the same way
as the routes without importing them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import JSONResponse

__all__ = ["FastJSON", "iso"]


class FastJSON(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return (
        datetime.fromtimestamp(ms / 1000, tz=UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
