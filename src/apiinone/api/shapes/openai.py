"""The ``/v1`` bodies, documented with OpenAI's own schemas.

``openai_schemas.json`` is an extract of OpenAI's OpenAPI document (made by
``scripts/vendor-openai-schemas.py``): the request and response schemas of chat completions,
images, speech, videos, models and responses, with everything they refer to. The document
names them under their OpenAI names (``CreateChatCompletionRequest``, ``ImagesResponse``,
...). Where the gateway answers in a shape of its own (the OneKeyModel video generations, a
deleted response) the model is here.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

__all__ = [
    "ResponseDeleted",
    "VideoGeneration",
    "VideoGenerationCreated",
    "openai_body",
    "openai_content",
    "openai_schemas",
    "ref",
]

SCHEMAS = Path(__file__).with_name("openai_schemas.json")
SSE: dict[str, Any] = {"schema": {"type": "string", "description": "Server-Sent Events"}}


@cache
def openai_schemas() -> dict[str, Any]:
    """Every vendored OpenAI schema by name."""
    loaded: dict[str, Any] = json.loads(SCHEMAS.read_text())
    return loaded


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def openai_body(
    json_schema: str | None, multipart: str | None = None, form: bool = False
) -> dict[str, Any]:
    """An ``openapi_extra`` request body of OpenAI schemas (JSON and/or multipart)."""
    content: dict[str, Any] = {}
    if json_schema is not None:
        content["application/json"] = {"schema": ref(json_schema)}
    if multipart is not None:
        content["multipart/form-data"] = {"schema": ref(multipart)}
        if form:
            content["application/x-www-form-urlencoded"] = {"schema": ref(multipart)}
    return {"requestBody": {"required": True, "content": content}}


def openai_content(name: str, description: str, stream: bool = False) -> dict[str, Any]:
    """A ``responses`` entry answering the OpenAI schema ``name`` (or, streamed, SSE)."""
    content: dict[str, Any] = {"application/json": {"schema": ref(name)}}
    if stream:
        content["text/event-stream"] = SSE
    return {"description": description, "content": content}


class VideoGenerationCreated(BaseModel):
    """``POST /v1/video/generations`` (the OneKeyModel shape)."""

    id: str
    status: Literal["queued", "in_progress", "succeeded", "failed"]
    created_at: int | None


class GenerationError(BaseModel):
    message: str


class VideoGeneration(VideoGenerationCreated):
    """``GET /v1/video/generations/{id}``: ``video_url`` once succeeded, ``error`` once
    failed."""

    video_url: str | None = None
    error: GenerationError | None = None


class ResponseDeleted(BaseModel):
    id: str
    object: Literal["response.deleted"]
    deleted: bool
