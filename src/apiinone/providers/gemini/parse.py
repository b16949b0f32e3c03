"""Pure translation of Gemini answers into OpenAI chat objects, and of Gemini errors into
:class:`UpstreamFailure`. No I/O, no clock: the caller passes ``created``.

- Parts with ``thought: true`` become ``reasoning_content`` (only when the client asked for
  thoughts), text parts ``content``, ``functionCall`` parts ``tool_calls`` (ids ``call_<n>``,
  arguments as JSON text, the part's ``thoughtSignature`` kept in
  ``extra_content.google.thought_signature`` so the next turn can hand it back).
- ``finishReason``: STOP → ``stop``, MAX_TOKENS → ``length``, the safety/recitation family →
  ``content_filter``, anything else → ``stop``; a candidate with function calls → ``tool_calls``.
- ``usageMetadata``: ``prompt_tokens`` = ``promptTokenCount``, ``completion_tokens`` =
  ``candidatesTokenCount`` + ``thoughtsTokenCount`` (thoughts are billed as output),
  ``completion_tokens_details.reasoning_tokens`` = ``thoughtsTokenCount``.
- A prompt refused by ``promptFeedback.blockReason`` is a non-retryable 400 failure.
- Errors ``{"error": {code, message, status, details}}``: 429 and 5xx are retryable (429 waits
  for ``google.rpc.RetryInfo.retryDelay`` or ``Retry-After``); a refused credential (401/403,
  ``API_KEY_INVALID``) and an unknown model (404) are the operator's, answered as 502 and not
  retried; other 4xx are the client's request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from apiinone.providers.chat import ChatRequest, UpstreamFailure
from apiinone.providers.http import retry_after_seconds

__all__ = [
    "StreamTranslator",
    "decode_event",
    "error_from",
    "finish_reason",
    "map_error",
    "parse_response",
    "usage_of",
]

FILTERED: Final = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
    }
)
RETRY_INFO: Final = "type.googleapis.com/google.rpc.RetryInfo"
ERROR_INFO: Final = "type.googleapis.com/google.rpc.ErrorInfo"
CREDENTIAL_STATUSES: Final = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED"})
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def finish_reason(reason: Any, has_calls: bool) -> str | None:
    if has_calls:
        return "tool_calls"
    if not reason:
        return None
    if reason == "MAX_TOKENS":
        return "length"
    if reason in FILTERED:
        return "content_filter"
    return "stop"


def usage_of(metadata: Any) -> dict[str, Any] | None:
    if not isinstance(metadata, Mapping):
        return None
    prompt = int(metadata.get("promptTokenCount") or 0)
    thoughts = int(metadata.get("thoughtsTokenCount") or 0)
    completion = int(metadata.get("candidatesTokenCount") or 0) + thoughts
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": int(metadata.get("totalTokenCount") or 0) or prompt + completion,
        "completion_tokens_details": {"reasoning_tokens": thoughts},
    }
    if metadata.get("cachedContentTokenCount"):
        usage["prompt_tokens_details"] = {"cached_tokens": int(metadata["cachedContentTokenCount"])}
    return usage


def _load(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise UpstreamFailure(
            f"the provider answered with a body that is not JSON ({len(body)} bytes)"
        ) from exc


def _check(data: Any) -> Mapping[str, Any]:
    """Raise for an error payload or a blocked prompt; give the response object otherwise."""
    if not isinstance(data, Mapping):
        raise UpstreamFailure("the provider answered with JSON that is not an object")
    error = data.get("error")
    if isinstance(error, Mapping):
        raise error_from(error, int(error.get("code") or 500), {})
    feedback = data.get("promptFeedback")
    reason = feedback.get("blockReason") if isinstance(feedback, Mapping) else None
    if reason and not data.get("candidates"):
        detail = feedback.get("blockReasonMessage") if isinstance(feedback, Mapping) else None
        message = f"Gemini blocked the prompt ({reason})" + (f": {detail}" if detail else "")
        raise UpstreamFailure(message, status=400, retryable=False)
    return data


@dataclass
class _Message:
    """What one candidate said, in OpenAI terms."""

    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def _read_parts(parts: Any, keep_thoughts: bool, first_call: int) -> _Message:
    message = _Message()
    for part in parts or ():
        if not isinstance(part, Mapping):
            continue
        call = part.get("functionCall")
        if isinstance(call, Mapping):
            index = first_call + len(message.tool_calls)
            entry: dict[str, Any] = {
                "index": index,
                "id": f"call_{index}",
                "type": "function",
                "function": {
                    "name": str(call.get("name") or ""),
                    "arguments": orjson.dumps(call.get("args") or {}).decode(),
                },
            }
            if part.get("thoughtSignature"):
                entry["extra_content"] = {"google": {"thought_signature": part["thoughtSignature"]}}
            message.tool_calls.append(entry)
        elif isinstance(part.get("text"), str):
            if part.get("thought"):
                if keep_thoughts:
                    message.reasoning.append(part["text"])
            else:
                message.content.append(part["text"])
    return message


def parse_response(request: ChatRequest, body: bytes, *, created: int) -> dict[str, Any]:
    data = _check(_load(body))
    candidates = data.get("candidates")
    if not isinstance(candidates, list) or not candidates:
        raise UpstreamFailure("the provider answered without any candidate")
    choices = []
    for position, candidate in enumerate(candidates):
        content = candidate.get("content") or {}
        said = _read_parts(content.get("parts"), request.include_thoughts, 0)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(said.content) if said.content else None,
            "refusal": None,
        }
        if said.reasoning:
            message["reasoning_content"] = "".join(said.reasoning)
        if said.tool_calls:
            message["tool_calls"] = [
                {k: v for k, v in call.items() if k != "index"} for call in said.tool_calls
            ]
        reason = finish_reason(candidate.get("finishReason"), bool(said.tool_calls))
        choices.append(
            {
                "index": int(candidate.get("index") or position),
                "message": message,
                "finish_reason": reason or "stop",
                "logprobs": None,
            }
        )
    result: dict[str, Any] = {
        "id": request.completion_id,
        "object": "chat.completion",
        "created": created,
        "model": request.model,
        "choices": choices,
    }
    usage = usage_of(data.get("usageMetadata"))
    if usage is not None:
        result["usage"] = usage
    return result


@dataclass
class _Choice:
    calls: int = 0
    finished: bool = False


class StreamTranslator:
    """Turns the ``GenerateContentResponse`` events of one stream into OpenAI chunks.

    One per stream (it counts tool calls and remembers the latest ``usageMetadata``);
    :meth:`finish` ends the stream with the usage chunk (``choices: []``).
    """

    def __init__(self, request: ChatRequest, *, created: int) -> None:
        self.request = request
        self.created = created
        self.usage: dict[str, Any] | None = None
        self._choices: dict[int, _Choice] = {}

    def _chunk(self, index: int, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": self.request.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.request.model,
            "choices": [
                {"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}
            ],
        }

    def event(self, data: Any) -> list[dict[str, Any]]:
        event = _check(data)
        usage = usage_of(event.get("usageMetadata"))
        if usage is not None:
            self.usage = usage
        chunks: list[dict[str, Any]] = []
        for position, candidate in enumerate(event.get("candidates") or ()):
            index = int(candidate.get("index") or position)
            state = self._choices.get(index)
            if state is None:
                state = self._choices[index] = _Choice()
                chunks.append(self._chunk(index, {"role": "assistant", "content": ""}, None))
            content = candidate.get("content") or {}
            said = _read_parts(content.get("parts"), self.request.include_thoughts, state.calls)
            if said.reasoning:
                chunks.append(
                    self._chunk(index, {"reasoning_content": "".join(said.reasoning)}, None)
                )
            if said.content:
                chunks.append(self._chunk(index, {"content": "".join(said.content)}, None))
            if said.tool_calls:
                state.calls += len(said.tool_calls)
                chunks.append(self._chunk(index, {"tool_calls": said.tool_calls}, None))
            reason = finish_reason(candidate.get("finishReason"), False)
            if reason is not None:
                final = "tool_calls" if state.calls else reason
                state.finished = True
                chunks.append(self._chunk(index, {}, final))
        return chunks

    def finish(self) -> list[dict[str, Any]]:
        if not self._choices or not all(c.finished for c in self._choices.values()):
            raise UpstreamFailure("the provider's stream ended before its last event")
        if self.usage is None:
            return []
        chunk = self._chunk(0, {}, None)
        chunk["choices"] = []
        chunk["usage"] = self.usage
        return [chunk]


def decode_event(payload: bytes) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise UpstreamFailure("the provider sent a stream event that is not JSON") from exc


def _retry_delay(error: Mapping[str, Any], headers: Mapping[str, str]) -> float | None:
    for detail in error.get("details") or ():
        if isinstance(detail, Mapping) and detail.get("@type") == RETRY_INFO:
            match = _DURATION.match(str(detail.get("retryDelay") or ""))
            if match:
                return retry_after_seconds(match.group(1))
    for key, value in headers.items():
        if key.lower() == "retry-after":
            return retry_after_seconds(value)
    return None


def error_from(
    error: Mapping[str, Any], status: int, headers: Mapping[str, str]
) -> UpstreamFailure:
    """One Gemini error object (``{code, message, status, details}``) as a failure."""
    code = status if status >= 400 else int(error.get("code") or 500)
    kind = str(error.get("status") or "")
    text = str(error.get("message") or kind or f"HTTP {code}")[:500]
    message = f"{kind}: {text}" if kind and not text.startswith(kind) else text
    reasons = {
        str(d.get("reason"))
        for d in error.get("details") or ()
        if isinstance(d, Mapping) and d.get("@type") == ERROR_INFO
    }
    if code in (401, 403) or kind in CREDENTIAL_STATUSES or "API_KEY_INVALID" in reasons:
        return UpstreamFailure(
            f"Gemini refused the channel's credential ({message})", status=502, retryable=False
        )
    if code == 404:
        return UpstreamFailure(
            f"Gemini does not know the channel's model ({message})", status=502, retryable=False
        )
    if code == 429:
        return UpstreamFailure(
            message, status=429, retryable=True, retry_after=_retry_delay(error, headers)
        )
    return UpstreamFailure(message, status=code, retryable=code >= 500 or code == 408)


def map_error(status: int, body: bytes, headers: Mapping[str, str]) -> UpstreamFailure:
    """A non-200 HTTP answer as a failure."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = None
    if isinstance(payload, list) and payload:
        payload = payload[0]  # some Google front ends wrap the error in a list
    error = payload.get("error") if isinstance(payload, Mapping) else None
    if isinstance(error, Mapping):
        return error_from(error, status, headers)
    note = " (a body that is not JSON)" if payload is None else ""
    return error_from({"message": f"HTTP {status}{note}"}, status, headers)
