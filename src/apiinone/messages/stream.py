"""A chat stream (Server-Sent Events of ``chat.completion.chunk``) as Anthropic's events.

``message_start`` and a ``ping`` first; then a ``content_block_start`` /
``content_block_delta``... / ``content_block_stop`` run for each block, in the order the
chunks bring them: ``thinking`` (``thinking_delta``, then one ``signature_delta`` before it
stops; only when the client asked for thinking), ``text`` (``text_delta``) and one
``tool_use`` block per tool call (``input_json_delta`` of its arguments). At the end a
``message_delta`` with the ``stop_reason`` and the usage, then ``message_stop``. The chat
stream's keep-alive comments become ``ping`` events; an error after the stream began
becomes an ``error`` event in Anthropic's error shape, and the stream ends there.

The chat stream settles its hold however it ends; this layer only closes it when the
client goes away, so a stream cut short is billed for what was delivered, as chat's is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from apiinone.messages.answer import STOP_REASONS, signature, usage_of
from apiinone.messages.errors import anthropic_error

__all__ = ["to_events"]

DONE = b"[DONE]"


def event(name: str, data: Mapping[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@dataclass
class _Blocks:
    """The content block being streamed, and what the message has said so far."""

    thinking_wanted: bool
    index: int = -1
    kind: str | None = None
    tool: int | None = None  # the chat tool call index of the open tool_use block
    thought: list[str] = field(default_factory=list)
    stop_reason: str = "end_turn"
    usage: dict[str, int] | None = None

    def stop(self) -> list[bytes]:
        out = []
        if self.kind == "thinking":
            delta = {"type": "signature_delta", "signature": signature("".join(self.thought))}
            out.append(self._delta(delta))
        if self.kind is not None:
            out.append(
                event("content_block_stop", {"type": "content_block_stop", "index": self.index})
            )
        self.kind, self.tool = None, None
        return out

    def start(self, kind: str, block: dict[str, Any]) -> list[bytes]:
        out = self.stop()
        self.index += 1
        self.kind = kind
        self.thought = []
        start = {"type": "content_block_start", "index": self.index, "content_block": block}
        out.append(event("content_block_start", start))
        return out

    def _delta(self, delta: dict[str, Any]) -> bytes:
        data = {"type": "content_block_delta", "index": self.index, "delta": delta}
        return event("content_block_delta", data)

    def thinking(self, text: str) -> list[bytes]:
        out = []
        if self.kind != "thinking":
            out += self.start("thinking", {"type": "thinking", "thinking": "", "signature": ""})
        self.thought.append(text)
        out.append(self._delta({"type": "thinking_delta", "thinking": text}))
        return out

    def text(self, text: str) -> list[bytes]:
        out = []
        if self.kind != "text":
            out += self.start("text", {"type": "text", "text": ""})
        out.append(self._delta({"type": "text_delta", "text": text}))
        return out

    def tool_call(self, call: Mapping[str, Any]) -> list[bytes]:
        out = []
        function = call.get("function") or {}
        if self.kind != "tool_use" or call.get("index", 0) != self.tool:
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": call.get("id") or "",
                "name": function.get("name") or "",
                "input": {},
            }
            out += self.start("tool_use", block)
            self.tool = call.get("index", 0)
        if function.get("arguments"):
            delta = {"type": "input_json_delta", "partial_json": function["arguments"]}
            out.append(self._delta(delta))
        return out

    def chunk(self, chunk: Mapping[str, Any]) -> list[bytes]:
        out: list[bytes] = []
        if chunk.get("usage"):
            self.usage = usage_of(chunk["usage"])
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if delta.get("reasoning_content") and self.thinking_wanted:
                out += self.thinking(delta["reasoning_content"])
            if delta.get("content"):
                out += self.text(delta["content"])
            for call in delta.get("tool_calls") or ():
                out += self.tool_call(call)
            reason = choice.get("finish_reason")
            if reason:
                self.stop_reason = STOP_REASONS.get(reason, "end_turn")
        return out

    def end(self) -> list[bytes]:
        out = self.stop()
        usage = self.usage or {"output_tokens": 0}
        delta = {"stop_reason": self.stop_reason, "stop_sequence": None}
        out.append(
            event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage})
        )
        out.append(event("message_stop", {"type": "message_stop"}))
        return out


def _payload(raw: bytes | str) -> bytes | None:
    """The data of one chat event, or None for a comment (a keep-alive)."""
    data = raw.encode() if isinstance(raw, str) else raw
    data = data.strip()
    if not data.startswith(b"data:"):
        return None
    return data[len(b"data:") :].strip()


async def to_events(
    chunks: AsyncIterator[Any],
    *,
    message_id: str,
    model: str,
    input_tokens: int,
    thinking: bool,
) -> AsyncIterator[bytes]:
    blocks = _Blocks(thinking_wanted=thinking)
    message: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": 0},
    }
    try:
        yield event("message_start", {"type": "message_start", "message": message})
        yield event("ping", {"type": "ping"})
        async for raw in chunks:
            data = _payload(raw)
            if data is None:
                yield event("ping", {"type": "ping"})
                continue
            if data == DONE:
                for out in blocks.end():
                    yield out
                return
            chunk = orjson.loads(data)
            if "error" in chunk:
                yield event("error", anthropic_error(chunk))
                return
            for out in blocks.chunk(chunk):
                yield out
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
