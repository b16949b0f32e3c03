"""Pixel dimensions from the ways models spell them: aspect ratio, resolution, explicit size.

* aspect ratio: ``"16:9"``, ``"9:21"``, ``"auto"`` (square); ``None`` means the default;
* resolution: ``"1K"``/``"2k"``/``"4K"`` fix the long side (1024, 2048, 4096),
  ``"720p"``/``"1080P"``/``"768P"`` fix the short side;
* size: ``"1024x1024"`` or ``"1280*720"`` wins over both; some models call their aspect
  ratio ``size`` (``"16:9"``), which is accepted too.

Every result is a pair of even numbers (H.264 in yuv420p needs them); explicit sizes with an
odd side are rounded down to even.
"""

from __future__ import annotations

import math
import re

__all__ = ["MAX_SIDE", "MIN_SIDE", "image_dimensions", "video_dimensions"]

MIN_SIDE = 16
MAX_SIDE = 8192
_MAX_RATIO = 10.0

_SIZE = re.compile(r"^\s*(\d{1,5})\s*[x*X\u00d7]\s*(\d{1,5})\s*$")
_ASPECT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$")
_LONG_SIDE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[kK]\s*$")
_SHORT_SIDE = re.compile(r"^\s*(\d{2,5})\s*[pP]\s*$")


def image_dimensions(
    aspect_ratio: str | None, resolution: str | None, size: str | None
) -> tuple[int, int]:
    """``(width, height)`` of an image; defaults to a square with a 1024 long side."""
    return _dimensions(aspect_ratio, resolution, size, default_aspect=(1.0, 1.0), default="1K")


def video_dimensions(
    aspect_ratio: str | None, resolution: str | None, size: str | None
) -> tuple[int, int]:
    """``(width, height)`` of a video; defaults to 16:9 at 720p (1280x720)."""
    return _dimensions(aspect_ratio, resolution, size, default_aspect=(16.0, 9.0), default="720p")


def _dimensions(
    aspect_ratio: str | None,
    resolution: str | None,
    size: str | None,
    *,
    default_aspect: tuple[float, float],
    default: str,
) -> tuple[int, int]:
    if size is not None and size.strip() and size.strip().lower() != "auto":
        explicit = _SIZE.match(size)
        if explicit:
            return _checked(_even_down(int(explicit[1])), _even_down(int(explicit[2])), size)
        if ":" not in size:
            raise ValueError(
                f"size must look like '1024x1024', '1280*720' or an aspect ratio, got {size!r}"
            )
        aspect_ratio = size
    ratio_w, ratio_h = _aspect(aspect_ratio, default_aspect)
    ratio = ratio_w / ratio_h
    spelled = resolution.strip() if resolution is not None and resolution.strip() else default
    long_side = _LONG_SIDE.match(spelled)
    short_side = _SHORT_SIDE.match(spelled)
    if long_side:
        side = float(long_side[1]) * 1024
        width, height = (side, side / ratio) if ratio >= 1 else (side * ratio, side)
    elif short_side:
        side = float(short_side[1])
        width, height = (side * ratio, side) if ratio >= 1 else (side, side / ratio)
    else:
        raise ValueError(
            f"resolution must look like '1K', '2k', '720p' or '1080P', got {resolution!r}"
        )
    return _checked(_even_nearest(width), _even_nearest(height), spelled)


def _aspect(spelled: str | None, default: tuple[float, float]) -> tuple[float, float]:
    if spelled is None or not spelled.strip() or spelled.strip().lower() == "auto":
        return default
    match = _ASPECT.match(spelled)
    if not match:
        raise ValueError(f"aspect ratio must look like '16:9' or 'auto', got {spelled!r}")
    width, height = float(match[1]), float(match[2])
    if width <= 0 or height <= 0 or max(width / height, height / width) > _MAX_RATIO:
        raise ValueError(
            f"aspect ratio {spelled!r} is out of range "
            f"(both sides positive, at most {_MAX_RATIO:g}:1)"
        )
    return width, height


def _even_down(value: int) -> int:
    return value - value % 2


def _even_nearest(value: float) -> int:
    return math.floor(value / 2 + 0.5) * 2


def _checked(width: int, height: int, spelled: str) -> tuple[int, int]:
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValueError(
            f"{spelled!r} gives {width}x{height}; each side must be in [{MIN_SIDE}, {MAX_SIDE}]"
        )
    return width, height
