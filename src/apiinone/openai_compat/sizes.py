"""OpenAI ``size`` strings (``"1792x1024"``) onto each catalog model's own size parameters.

Models spell a picture's shape in one of three ways, and often combine two:

* a **ratio** — ``aspect_ratio = "16:9"`` (flux-2, kling-3, ...); ideogram-v4 calls it ``size``;
* a **tier** — ``resolution = "1K" | "2K"`` (long side) or ``"720p" | "1080P"`` (short side);
* **dimensions** — ``size = "1344*768"`` (cogview-4), ``image_size = "1820x1024"`` (recraft-v4),
  ``resolution = "1280*720"`` (wan2.7-t2v), or free ``size = "WxH"`` (wan2.7-image).

:data:`SIZE_RULES` names the parameters that carry a size and what each carries by default.
The parameter's own enum decides the spelling: the nearest ratio (by log distance), the
smallest tier that covers the requested side (else the largest), or the nearest dimensions
(ratio first, then area). A free-form parameter gets ``W{sep}H`` with the separator of its
default. ``"auto"`` (or no size) leaves every parameter at the model's default.

The reverse, :func:`video_size_of`, names the OpenAI video size closest to what a video task
was asked for, so that a Video object always reports one of the four sizes the SDK knows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from apiinone.catalog import ModelSpec, ParamSpec
from apiinone.errors import InvalidRequest

__all__ = [
    "SIZE_RULES",
    "VIDEO_SIZES",
    "Form",
    "SizeRule",
    "parse_size",
    "size_params",
    "video_size_of",
]

Form = Literal["ratio", "tier", "dims"]


@dataclass(frozen=True)
class SizeRule:
    """A catalog parameter that carries (part of) an OpenAI size, and its default form."""

    param: str
    carries: Form


SIZE_RULES: tuple[SizeRule, ...] = (
    SizeRule("aspect_ratio", "ratio"),
    SizeRule("resolution_ratio", "ratio"),
    SizeRule("resolution", "tier"),
    SizeRule("size", "dims"),
    SizeRule("image_size", "dims"),
)

VIDEO_SIZES: tuple[str, ...] = ("720x1280", "1280x720", "1024x1792", "1792x1024")

_DIMS = re.compile(r"^\s*(\d{1,5})\s*([x*X])\s*(\d{1,5})\s*$")
_RATIO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$")
_LONG_TIER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[kK]\s*$")
_SHORT_TIER = re.compile(r"^\s*(\d{2,5})\s*[pP]\s*$")
_MAX_SIDE = 8192


def parse_size(size: str | None, *, param: str = "size") -> tuple[int, int] | None:
    """``(width, height)`` of an OpenAI size; ``None`` for ``"auto"`` or no size."""
    if size is None or size.strip().lower() in ("", "auto"):
        return None
    match = _DIMS.match(size)
    if match is None:
        raise InvalidRequest(
            f"'{param}' must look like '1024x1024' (width x height) or be 'auto'", param=param
        )
    width, height = int(match[1]), int(match[3])
    if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
        raise InvalidRequest(
            f"'{param}' must have both sides between 1 and {_MAX_SIDE} pixels", param=param
        )
    return width, height


def _ratio_of(value: str) -> float | None:
    match = _RATIO.match(value)
    if match is None or float(match[1]) <= 0 or float(match[2]) <= 0:
        return None
    return float(match[1]) / float(match[2])


def _dims_of(value: str) -> tuple[int, int] | None:
    match = _DIMS.match(value)
    if match is None or int(match[1]) <= 0 or int(match[3]) <= 0:
        return None
    return int(match[1]), int(match[3])


def _tier_of(value: str) -> tuple[Literal["long", "short"], float] | None:
    """``("long", 2048.0)`` for ``"2K"``, ``("short", 720.0)`` for ``"720p"``."""
    long_side = _LONG_TIER.match(value)
    if long_side is not None:
        return "long", float(long_side[1]) * 1024
    short_side = _SHORT_TIER.match(value)
    if short_side is not None:
        return "short", float(short_side[1])
    return None


def _form_of(values: list[str]) -> Form | None:
    """What an enum's values spell, when they all spell the same thing."""
    if values and all(_ratio_of(v) is not None for v in values):
        return "ratio"
    if values and all(_tier_of(v) is not None for v in values):
        return "tier"
    if values and all(_dims_of(v) is not None for v in values):
        return "dims"
    return None


def _log_gap(a: float, b: float) -> float:
    return abs(math.log(a / b))


def _nearest_ratio(values: list[str], width: int, height: int) -> str:
    target = width / height
    return min(values, key=lambda v: _log_gap(_ratio_of(v) or 1.0, target))


def _nearest_dims(values: list[str], width: int, height: int) -> str:
    def distance(value: str) -> tuple[float, float]:
        w, h = _dims_of(value) or (1, 1)
        return round(_log_gap(w / h, width / height), 3), _log_gap(w * h, width * height)

    return min(values, key=distance)


def _covering_tier(values: list[str], width: int, height: int) -> str:
    """The smallest tier that covers the requested side, else the largest tier."""

    def side(value: str) -> float:
        kind, length = _tier_of(value) or ("long", 0.0)
        wanted = max(width, height) if kind == "long" else min(width, height)
        return length - wanted

    covering = [v for v in values if side(v) >= 0]
    if covering:
        return min(covering, key=side)
    return max(values, key=side)


def _free_dims(spec: ParamSpec, width: int, height: int) -> str | None:
    default = str(spec.default) if isinstance(spec.default, str) else ""
    match = _DIMS.match(default)
    separator = match[2] if match is not None else "x"
    spelled = f"{width}{separator}{height}"
    if spec.pattern is not None and re.fullmatch(spec.pattern, spelled) is None:
        return None
    return spelled


def _spell(rule: SizeRule, spec: ParamSpec, width: int, height: int) -> str | None:
    if spec.type != "string":
        return None
    if spec.enum is None:
        return _free_dims(spec, width, height) if rule.carries == "dims" else None
    values = [v for v in spec.enum if isinstance(v, str) and v.strip().lower() != "auto"]
    form = _form_of(values)
    if form == "ratio":
        return _nearest_ratio(values, width, height)
    if form == "tier":
        return _covering_tier(values, width, height)
    if form == "dims":
        return _nearest_dims(values, width, height)
    return None


def size_params(model: ModelSpec, size: tuple[int, int] | None) -> dict[str, str]:
    """The model's own size parameters for an OpenAI size (empty for ``auto``)."""
    if size is None:
        return {}
    width, height = size
    out: dict[str, str] = {}
    for rule in SIZE_RULES:
        spec = model.params.get(rule.param)
        if spec is None:
            continue
        spelled = _spell(rule, spec, width, height)
        if spelled is not None:
            out[rule.param] = spelled
    return out


def video_size_of(params: Mapping[str, Any]) -> str:
    """The OpenAI video size nearest to a video task's own size parameters."""
    ratio = 16 / 9
    large = False
    for rule in SIZE_RULES:
        value = params.get(rule.param)
        if not isinstance(value, str):
            continue
        dims = _dims_of(value)
        tier = _tier_of(value)
        if _ratio_of(value) is not None:
            ratio = _ratio_of(value) or ratio
        elif dims is not None:
            ratio = dims[0] / dims[1]
            large = min(dims) >= 1024
        elif tier is not None:
            kind, length = tier
            large = length >= (2048 if kind == "long" else 1024)
    portrait = ratio < 1
    if large:
        return "1024x1792" if portrait else "1792x1024"
    return "720x1280" if portrait else "1280x720"
