"""A succeeded prediction's ``output`` as artifacts and a result.

Replicate's ``output`` is whatever the model returns: a file URL, a list of file URLs, or
any other JSON (text, a list of tokens, an object mixing URLs and values). Every http(s)
URL becomes an :class:`Artifact` for the engine to copy before Replicate deletes it (after
an hour); where the output holds more than URLs, it is kept as the result, each URL
replaced by an ``"artifact:N"`` placeholder that the engine fills with the stored path.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from apiinone.providers.base import Artifact

__all__ = ["Outputs", "content_type_for", "read_outputs"]

# Checked before the platform's mimetypes table, which differs between machines.
_TYPES: Mapping[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "mov": "video/quicktime",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "txt": "text/plain",
    "json": "application/json",
    "glb": "model/gltf-binary",
    "obj": "model/obj",
    "zip": "application/zip",
}
_FALLBACK = ("application/octet-stream", "bin")


@dataclass(frozen=True, slots=True)
class Outputs:
    artifacts: tuple[Artifact, ...]
    result: Mapping[str, Any] | None


def content_type_for(url: str) -> tuple[str, str]:
    """``(content type, extension)`` guessed from a URL's path."""
    path = unquote(urlsplit(url).path)
    last = path.rsplit("/", 1)[-1]
    if "." not in last:
        return _FALLBACK
    ext = last.rsplit(".", 1)[-1].lower()
    if not ext.isalnum() or len(ext) > 8:
        return _FALLBACK
    known = _TYPES.get(ext) or mimetypes.types_map.get(f".{ext}")
    return (known, ext) if known else (_FALLBACK[0], ext)


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def read_outputs(output: Any) -> Outputs:
    artifacts: list[Artifact] = []

    def take(url: str) -> str:
        content_type, ext = content_type_for(url)
        index = len(artifacts)
        artifacts.append(Artifact(content_type=content_type, name=f"output-{index}.{ext}", url=url))
        return f"artifact:{index}"

    def walk(value: Any) -> Any:
        if _is_url(value):
            return take(value)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        return value

    only_urls = _is_url(output) or (
        isinstance(output, list) and bool(output) and all(_is_url(item) for item in output)
    )
    replaced = walk(output)
    return Outputs(artifacts=tuple(artifacts), result=None if only_urls else {"output": replaced})
