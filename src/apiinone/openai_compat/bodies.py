"""The OpenAI request bodies the /v1 media routes take, and their validation.

Fields OpenAI clients send that no catalog model uses (``user``, ``moderation``, ...) are
accepted and ignored, as the SDKs send them freely. A pydantic error leaves as the gateway's
400 ``invalid_request`` naming the field.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from apiinone.errors import InvalidRequest

__all__ = [
    "ImageEditCreate",
    "ImageGenerationCreate",
    "InputReference",
    "SpeechCreate",
    "VideoCreate",
    "VoiceObject",
    "parse_body",
]

Model = TypeVar("Model", bound=BaseModel)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ImageGenerationCreate(_Lenient):
    model: str | None = Field(default=None, max_length=200)
    prompt: str = Field(max_length=32000)
    n: int = Field(default=1, ge=1, le=10)
    size: str | None = Field(default=None, max_length=20)
    quality: str | None = Field(default=None, max_length=20)
    response_format: Literal["url", "b64_json"] | None = None
    style: str | None = Field(default=None, max_length=40)
    background: str | None = Field(default=None, max_length=20)
    output_format: str | None = Field(default=None, max_length=10)
    user: str | None = None
    stream: bool | None = None


class ImageEditCreate(ImageGenerationCreate):
    """The text fields of an images.edit form (its files are read apart); the same
    translation as a generation applies. Fields OpenAI's edit schema lacks (``style``) are
    refused before this is parsed."""


class InputReference(_Lenient):
    """The SDK's reference object: an image URL, or the id of an upload."""

    image_url: str | None = Field(default=None, max_length=2048)
    file_id: str | None = Field(default=None, max_length=64)


class VideoCreate(_Lenient):
    prompt: str = Field(max_length=32000)
    model: str | None = Field(default=None, max_length=200)
    seconds: int | None = Field(default=None, ge=1, le=60)
    size: str | None = Field(default=None, max_length=20)
    input_reference: InputReference | None = None


class VoiceObject(_Lenient):
    id: str = Field(min_length=1, max_length=100)


class SpeechCreate(_Lenient):
    model: str = Field(max_length=200)
    input: str = Field(min_length=1, max_length=4096)
    voice: str | VoiceObject
    instructions: str | None = Field(default=None, max_length=4096)
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = "mp3"
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    stream_format: Literal["sse", "audio"] = "audio"

    @property
    def voice_name(self) -> str:
        return self.voice if isinstance(self.voice, str) else self.voice.id


def _param(loc: tuple[int | str, ...]) -> str | None:
    parts = [str(p) for p in loc if not str(p).startswith(("function-", "json-"))]
    # Union members show up as extra segments ("voice.str"); keep the field path only.
    parts = [p for p in parts if p not in ("str", "VoiceObject", "int")]
    if not parts:
        return None
    out = parts[0]
    for part in parts[1:]:
        out += f"[{part}]" if part.isdigit() else f".{part}"
    return out


def parse_body(model: type[Model], data: dict[str, Any]) -> Model:
    """``data`` as ``model``, or a 400 that names the first bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = _param(tuple(first.get("loc", ())))
        message = "Field required" if first.get("type") == "missing" else first.get("msg", "")
        text = f"'{param}': {message}" if param else str(message)
        raise InvalidRequest(text, param=param) from exc
