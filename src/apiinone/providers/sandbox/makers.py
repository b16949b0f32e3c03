"""What the sandbox makes for each kind of job: real files, deterministic for a seed."""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from apiinone import media
from apiinone.providers.base import Artifact

__all__ = ["audio_clip", "image_set", "seed_of", "speech", "video"]

_EXT = {"png": "png", "jpeg": "jpg", "webp": "webp", "mp3": "mp3", "wav": "wav"}
_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def seed_of(params: Mapping[str, Any]) -> int:
    seed = params.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0:
        return seed
    return zlib.crc32(orjson.dumps(params, option=orjson.OPT_SORT_KEYS))


def _image_format(params: Mapping[str, Any]) -> str:
    fmt = str(params.get("output_format") or "png").lower()
    return {"jpg": "jpeg"}.get(fmt, fmt) if fmt in ("png", "jpeg", "jpg", "webp") else "png"


def _size_fields(params: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    aspect = params.get("aspect_ratio") or params.get("resolution_ratio")
    size = params.get("size") or params.get("image_size")
    if isinstance(size, str) and ":" in size:  # ideogram-v4 spells aspect ratios as "size"
        aspect, size = size, None
    resolution = params.get("resolution")
    if isinstance(resolution, str) and re.fullmatch(r"\d+\s*[x*]\s*\d+", resolution):
        size, resolution = size or resolution, None  # wan2.7 spells sizes as "1280*720"
    return (
        str(aspect) if aspect else None,
        str(resolution) if resolution else None,
        str(size) if size else None,
    )


def image_set(prompt: str, params: Mapping[str, Any], seed: int) -> list[Artifact]:
    aspect, resolution, size = _size_fields(params)
    width, height = media.image_dimensions(aspect, resolution, size)
    fmt = _image_format(params)
    count = params.get("num_images") or params.get("n") or 1
    out = []
    for index in range(int(count)):
        data = media.make_image(prompt, seed=seed + index, width=width, height=height, fmt=fmt)
        out.append(
            Artifact(content_type=_TYPES[fmt], name=f"image-{index + 1}.{_EXT[fmt]}", data=data)
        )
    return out


def _duration(params: Mapping[str, Any], default: float = 5.0) -> float:
    value = params.get("duration", default)
    try:
        return max(1.0, float(value))
    except (TypeError, ValueError):
        return default


def video(prompt: str, params: Mapping[str, Any], seed: int) -> Artifact:
    aspect, resolution, size = _size_fields(params)
    width, height = media.video_dimensions(aspect, resolution, size)
    with_audio = any(
        params.get(name) is True
        for name in ("sound", "generateAudio", "generate_audio_switch", "generate_audio")
    )
    data = media.make_video(
        prompt,
        seed=seed,
        duration=_duration(params),
        width=width,
        height=height,
        with_audio=with_audio,
    )
    return Artifact(content_type="video/mp4", name="video.mp4", data=data)


def audio_clip(text: str, seed: int, seconds: float, index: int) -> Artifact:
    data = media.make_audio(text, seed=seed + index, duration=seconds, fmt="mp3")
    return Artifact(content_type="audio/mpeg", name=f"track-{index + 1}.mp3", data=data)


def speech(dialogue: Sequence[Mapping[str, Any]], seed: int) -> Artifact:
    lines = [(str(item.get("text", "")), item.get("voice")) for item in dialogue]
    data = media.make_speech(lines, seed=seed, fmt="mp3")
    return Artifact(content_type="audio/mpeg", name="speech.mp3", data=data)
