"""A fal result's files as artifacts, and the rest of it as the task's result.

fal apps answer their own output schema, but media apps share one convention: files are
``File`` objects ``{url, content_type?, file_name?, file_size?, width?, height?}`` under
``images`` (a list), ``image``, ``video``, ``audio`` or ``audio_file``. The URL is usually on
fal's CDN (``https://v3.fal.media/...``, kept for the account's media-expiration period), or
a ``data:`` URI when the app ran with ``sync_mode``. Each becomes an :class:`Artifact` for
the engine to copy; the JSON is kept as the result with each URL replaced by
``"artifact:N"``, which the engine fills with the stored path.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from apiinone.providers.base import Artifact
from apiinone.providers.http import MalformedResponse
from apiinone.providers.replicate.outputs import content_type_for

__all__ = ["FILE_KEYS", "FalOutputs", "read_fal_output"]

# Where fal's media apps put their files, in the order the artifacts are numbered.
FILE_KEYS = ("images", "image", "video", "audio", "audio_file")
_GENERIC = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class FalOutputs:
    artifacts: tuple[Artifact, ...]
    result: dict[str, Any]


def read_fal_output(output: Mapping[str, Any]) -> FalOutputs:
    artifacts: list[Artifact] = []
    result = dict(output)
    for key in FILE_KEYS:
        if key not in output:
            continue
        value = output[key]
        if isinstance(value, list):
            result[key] = [_take(item, artifacts) for item in value]
        else:
            result[key] = _take(value, artifacts)
    return FalOutputs(artifacts=tuple(artifacts), result=result)


def _take(item: Any, artifacts: list[Artifact]) -> Any:
    """One ``File`` object (or a bare URL string) → an artifact and its placeholder."""
    if isinstance(item, str):
        item = {"url": item}
    if not isinstance(item, Mapping):
        return item
    url = item.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://", "data:")):
        return dict(item)
    index = len(artifacts)
    declared = item.get("content_type")
    meta = {k: v for k, v in item.items() if k in ("width", "height", "file_size", "duration")}
    if url.startswith("data:"):
        content_type, data = _data_uri(url)
        if isinstance(declared, str) and "/" in declared:
            content_type = declared
        artifact = Artifact(
            content_type=content_type,
            name=f"output-{index}.{_extension(content_type, item.get('file_name'))}",
            data=data,
            meta=meta,
        )
    else:
        guessed, ext = content_type_for(url)
        if isinstance(declared, str) and "/" in declared and declared != _GENERIC:
            content_type = declared
            if guessed != declared:
                ext = _extension(declared, item.get("file_name"), fallback=ext)
        else:
            content_type = guessed
        artifact = Artifact(
            content_type=content_type, name=f"output-{index}.{ext}", url=url, meta=meta
        )
    artifacts.append(artifact)
    return {**item, "url": f"artifact:{index}"}


def _data_uri(url: str) -> tuple[str, bytes]:
    """``data:[<type>][;base64],<data>`` (RFC 2397)."""
    header, sep, payload = url[5:].partition(",")
    if not sep:
        raise MalformedResponse("fal answered a data: URI without a comma")
    parts = header.split(";")
    content_type = parts[0] or "text/plain"
    if "base64" in parts[1:]:
        try:
            return content_type, base64.b64decode(payload, validate=True)
        except binascii.Error as exc:
            raise MalformedResponse("fal answered a data: URI with invalid base64") from exc
    return content_type, unquote_to_bytes(payload)


def _extension(content_type: str, file_name: Any, *, fallback: str = "bin") -> str:
    if isinstance(file_name, str) and "." in file_name:
        ext = file_name.rsplit(".", 1)[-1].lower()
        if ext.isalnum() and len(ext) <= 8:
            return ext
    guessed = mimetypes.guess_extension(content_type.split(";")[0].strip())
    return guessed.lstrip(".") if guessed else fallback
