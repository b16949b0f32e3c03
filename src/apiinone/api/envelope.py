"""Response rendering for the routes: the native envelope over ``FastJSON``."""

from __future__ import annotations

from typing import Any

from apiinone.wire import FastJSON, iso

__all__ = ["FastJSON", "envelope", "iso"]


def envelope(data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> FastJSON:
    """The native API's body: ``{"code": 200, "message": "success", "data": ...}``."""
    return FastJSON(
        {"code": 200, "message": "success", "data": data},
        status_code=status_code,
        headers=headers,
    )
