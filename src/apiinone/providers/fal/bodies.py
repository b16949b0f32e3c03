"""The JSON body of a fal submission: the channel's parameter mapping, then fal's types.

fal's apps declare a clip length as a string enum (``"5" | "10" | "15"`` on
wan/v2.6/text-to-video, ``"3"`` .. ``"15"`` on the Kling 3 apps, also inside each
``multi_prompt`` shot): an integer ``duration`` is refused with a 422. Our catalog takes
durations as numbers, so every ``duration`` goes out as its decimal string, at the top
level and in ``multi_prompt`` shots. fal's Vidu apps are the exception: their ``duration`` is
an integer (``1``..``16`` on Vidu Q3), so it goes out as the number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apiinone.providers.mapping import apply_mapping

__all__ = ["fal_body"]

_SHOT_LISTS = ("multi_prompt",)
_INTEGER_DURATION_APPS = ("fal-ai/vidu/",)


def _as_text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def fal_body(
    params: Mapping[str, Any], options: Mapping[str, Any], endpoint: str = ""
) -> dict[str, Any]:
    body = apply_mapping(params, options)
    if endpoint.startswith(_INTEGER_DURATION_APPS):
        return body
    if "duration" in body:
        body["duration"] = _as_text(body["duration"])
    for name in _SHOT_LISTS:
        shots = body.get(name)
        if isinstance(shots, list):
            body[name] = [
                {**shot, "duration": _as_text(shot["duration"])}
                if isinstance(shot, dict) and "duration" in shot
                else shot
                for shot in shots
            ]
    return body
