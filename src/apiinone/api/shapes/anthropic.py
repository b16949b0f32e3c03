"""Anthropic's Messages API (``/v1/messages``), as the gateway takes and answers it.

The request lists the properties the gateway reads; Anthropic's others are accepted and
named in ``X-Ignored-Params`` (``messages/request.py``). Content blocks stay open objects:
their ``type`` says which (``text``, ``image``, ``tool_use``, ``tool_result``, ...).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AnthropicError",
    "AnthropicErrorBody",
    "CountTokensRequest",
    "Message",
    "MessageCreate",
    "TokenCount",
]


class MessageParam(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["user", "assistant"]
    content: str | list[dict[str, Any]]


class ToolParam(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    description: str | None = None
    input_schema: dict[str, Any]


class CountTokensRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[MessageParam]
    system: str | list[dict[str, Any]] | None = None
    tools: list[ToolParam] | None = None
    tool_choice: dict[str, Any] | None = None
    thinking: dict[str, Any] | None = None


class MessageCreate(CountTokensRequest):
    max_tokens: int = Field(ge=1)
    metadata: dict[str, Any] | None = None
    stop_sequences: list[str] | None = None
    stream: bool | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None


class MessageUsage(BaseModel):
    model_config = ConfigDict(extra="allow")

    input_tokens: int
    output_tokens: int


class ContentBlock(BaseModel):
    """``text`` (``text``), ``thinking`` (``thinking``, ``signature``) or ``tool_use``
    (``id``, ``name``, ``input``)."""

    model_config = ConfigDict(extra="allow")

    type: Literal["text", "thinking", "tool_use"]


class Message(BaseModel):
    id: str
    type: Literal["message"]
    role: Literal["assistant"]
    model: str | None
    content: list[ContentBlock]
    stop_reason: str | None
    stop_sequence: str | None
    usage: MessageUsage


class TokenCount(BaseModel):
    input_tokens: int


class AnthropicErrorBody(BaseModel):
    type: str
    message: str


class AnthropicError(BaseModel):
    type: Literal["error"]
    error: AnthropicErrorBody
