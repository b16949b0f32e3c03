"""Pure translation for OpenAI-compatible chat: build the request, parse answers, map errors.

No I/O here; ``provider.py`` does it with the shared session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

from apiinone.providers.chat import ChatRequest, UpstreamFailure
from apiinone.providers.failures import retryable_status
from apiinone.providers.http import ChannelConfig, HttpRequest

__all__ = ["DONE", "build_request", "map_error", "parse_response", "parse_stream_data"]

DONE: Final = object()
# Our extensions, never sent to an OpenAI-compatible upstream as they are.
OWN_FIELDS = ("include_thoughts", "reasoning_effort")


def build_request(request: ChatRequest, channel: ChannelConfig) -> HttpRequest:
    body = {k: v for k, v in request.params.items() if k not in OWN_FIELDS and v is not None}
    body["model"] = channel.upstream_model
    if channel.options.get("reasoning_effort") and "reasoning_effort" in request.params:
        body["reasoning_effort"] = request.reasoning_effort
    if request.stream:
        body["stream"] = True
        given = request.params.get("stream_options") or {}
        body["stream_options"] = {**given, "include_usage": True}  # usage is how we bill
    else:
        body.pop("stream", None)
        body.pop("stream_options", None)
    headers = {"Content-Type": "application/json"}
    if channel.credential:
        headers["Authorization"] = f"Bearer {channel.credential}"
    return HttpRequest(
        method="POST", url=f"{channel.base_url}/chat/completions", headers=headers, json=body
    )


def _strip_thoughts(message: dict[str, Any], keep: bool) -> None:
    if not keep:
        message.pop("reasoning_content", None)
        message.pop("reasoning", None)
    elif "reasoning" in message and "reasoning_content" not in message:
        message["reasoning_content"] = message.pop("reasoning")  # OpenRouter spells it so


def parse_response(request: ChatRequest, status: int, body: bytes) -> dict[str, Any]:
    if status != 200:
        raise map_error(status, body, {})
    try:
        result = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise UpstreamFailure("the provider answered with malformed JSON") from exc
    if not isinstance(result, dict) or "choices" not in result:
        raise UpstreamFailure("the provider's answer has no choices")
    for choice in result["choices"]:
        _strip_thoughts(choice.get("message") or {}, request.include_thoughts)
    return result


def parse_stream_data(request: ChatRequest, payload: bytes) -> dict[str, Any] | object | None:
    """The data of one stream event: a chunk, ``DONE``, or None for data that carries
    nothing."""
    payload = payload.strip()
    if payload == b"[DONE]":
        return DONE
    try:
        chunk = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise UpstreamFailure("the provider sent a malformed stream chunk") from exc
    if isinstance(chunk, dict) and "error" in chunk:
        error = chunk["error"] if isinstance(chunk["error"], dict) else {"message": chunk["error"]}
        raise UpstreamFailure(str(error.get("message") or "stream error"), retryable=False)
    if not isinstance(chunk, dict):
        return None
    for choice in chunk.get("choices") or ():
        _strip_thoughts(choice.get("delta") or {}, request.include_thoughts)
    return chunk


def map_error(status: int, body: bytes, headers: Mapping[str, str]) -> UpstreamFailure:
    message = f"HTTP {status}"
    try:
        parsed = orjson.loads(body)
        error = parsed.get("error") if isinstance(parsed, dict) else None
        if isinstance(error, dict) and error.get("message"):
            message = str(error["message"])
        elif isinstance(error, str):
            message = error
    except orjson.JSONDecodeError:
        pass
    retry_after = None
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if raw and raw.replace(".", "", 1).isdigit():
        retry_after = float(raw)
    retryable = retryable_status(status)
    return UpstreamFailure(
        message[:500], status=status, retryable=retryable, retry_after=retry_after
    )
