"""Sandbox chat: deterministic replies derived from the prompt, streamed word by word.

- the reply quotes the last user message, then adds words chosen by a hash of the prompt;
- ``include_thoughts`` (default true) adds ``reasoning_content`` before the answer;
- with ``tools`` and a prompt that mentions a tool's name (or "call"/"use a tool"), or a
  ``tool_choice`` naming a function, the answer is a tool call with arguments built from
  the tool's JSON Schema; after a ``tool`` message it answers with the tool's result;
- ``response_format`` ``json_object`` / ``json_schema`` gives valid JSON (an instance of the
  schema); ``max_tokens`` cuts the reply (``finish_reason: "length"``), ``stop`` cuts at a
  stop string;
- ``n`` choices (the same reply each time), billed for all of them;
- magic words: ``sandbox:fail`` fails before any output, ``sandbox:cut`` fails mid-stream,
  ``sandbox:slow`` waits 0.2 s between words, ``sandbox:delay=N`` waits N s first.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import orjson

from apiinone.providers.base import ProviderContext
from apiinone.providers.chat import ChatRequest, UpstreamFailure

__all__ = ["SandboxChat"]

VOCABULARY = (
    "gateway",
    "credits",
    "model",
    "stream",
    "token",
    "answer",
    "sandbox",
    "request",
    "provider",
    "image",
    "video",
    "music",
    "speech",
    "task",
    "ledger",
    "webhook",
    "quietly",
    "clearly",
    "simply",
    "every",
    "one",
    "balance",
    "route",
    "key",
)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


def count_tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4) if text else 0


def _schema_instance(schema: Any, hint: str) -> Any:
    if not isinstance(schema, Mapping):
        return hint
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: _schema_instance(sub, hint) for name, sub in props.items()}
    if kind == "array":
        return [_schema_instance(schema.get("items", {}), hint)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return hint


class _Plan:
    """What the sandbox will say for one request."""

    def __init__(self, request: ChatRequest) -> None:
        params = request.params
        messages: Sequence[Mapping[str, Any]] = params.get("messages", [])
        self.prompt_tokens = sum(count_tokens(_text(m.get("content"))) + 4 for m in messages)
        last = messages[-1] if messages else {}
        users = [m for m in messages if m.get("role") == "user"]
        self.prompt = _text(users[-1].get("content")) if users else ""
        digest = hashlib.sha256(orjson.dumps(messages, option=orjson.OPT_SORT_KEYS)).digest()
        self.fail = "sandbox:fail" in self.prompt
        self.cut = "sandbox:cut" in self.prompt
        self.pause = 0.2 if "sandbox:slow" in self.prompt else 0.0
        delay = re.search(r"sandbox:delay=(\d+(?:\.\d+)?)", self.prompt)
        self.delay = min(600.0, float(delay.group(1))) if delay else 0.0
        self.reasoning = (
            f"The user wrote {len(self.prompt)} characters; effort {request.reasoning_effort}. "
            "Answer briefly and deterministically."
            if request.include_thoughts
            else ""
        )
        self.tool_call = self._tool_call(params, last)
        self.content = "" if self.tool_call else self._content(params, last, digest)
        self.finish_reason = "tool_calls" if self.tool_call else "stop"
        self._limit(params)

    def _tool_call(
        self, params: Mapping[str, Any], last: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        tools = [
            t
            for t in params.get("tools") or []
            if isinstance(t, Mapping) and t.get("type") == "function"
        ]
        choice = params.get("tool_choice")
        if not tools or choice == "none" or last.get("role") == "tool":
            return None
        chosen = None
        if isinstance(choice, Mapping):
            name = choice.get("function", {}).get("name")
            chosen = next((t for t in tools if t["function"].get("name") == name), None)
        lowered = self.prompt.lower()
        if chosen is None:
            chosen = next(
                (t for t in tools if str(t["function"].get("name", "")).lower() in lowered), None
            )
        if chosen is None and (
            choice == "required" or "call" in lowered or "use a tool" in lowered
        ):
            chosen = tools[0]
        if chosen is None:
            return None
        function = chosen["function"]
        words = re.findall(r"[A-Z][a-z]+", self.prompt)
        hint = words[-1] if words else "sandbox"
        arguments = _schema_instance(function.get("parameters") or {"type": "object"}, hint)
        digest = hashlib.sha256(self.prompt.encode()).hexdigest()[:24]
        return {
            "id": f"call_{digest}",
            "type": "function",
            "function": {
                "name": function.get("name"),
                "arguments": orjson.dumps(arguments).decode(),
            },
        }

    def _content(self, params: Mapping[str, Any], last: Mapping[str, Any], digest: bytes) -> str:
        if last.get("role") == "tool":
            sentence = f"The tool returned: {_text(last.get('content'))}"
        else:
            excerpt = " ".join(self.prompt.split()[:24]) or "nothing"
            extra = " ".join(VOCABULARY[b % len(VOCABULARY)] for b in digest[:12])
            sentence = f"Sandbox reply to: {excerpt}. {extra.capitalize()}."
        fmt = params.get("response_format") or {}
        if fmt.get("type") == "json_object":
            return orjson.dumps({"reply": sentence}).decode()
        if fmt.get("type") == "json_schema":
            schema = (fmt.get("json_schema") or {}).get("schema") or {}
            return orjson.dumps(_schema_instance(schema, "sandbox")).decode()
        return sentence

    def _limit(self, params: Mapping[str, Any]) -> None:
        stops = params.get("stop")
        for stop in [stops] if isinstance(stops, str) else stops or []:
            index = self.content.find(stop) if stop else -1
            if index >= 0:
                self.content = self.content[:index]
        limit = params.get("max_completion_tokens") or params.get("max_tokens")
        fmt = (params.get("response_format") or {}).get("type")
        if isinstance(limit, int) and fmt not in ("json_object", "json_schema"):
            words = self.pieces(self.content)
            if len(words) > limit:
                self.content = "".join(words[:limit])
                self.finish_reason = "length"

    @staticmethod
    def pieces(text: str) -> list[str]:
        return re.findall(r"\S+\s*|\s+", text)

    @property
    def completion_tokens(self) -> int:
        tool = len(self.tool_call["function"]["arguments"]) // 4 + 1 if self.tool_call else 0
        return len(self.pieces(self.content)) + len(self.pieces(self.reasoning)) + tool

    def usage(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "completion_tokens_details": {"reasoning_tokens": len(self.pieces(self.reasoning))},
        }


class SandboxChat:
    name = "sandbox"
    max_choices = 128
    # What the sandbox honours; sampling, penalties, logprobs and the rest are named ignored.
    carries = frozenset({"stop", "tools", "tool_choice", "response_format", "reasoning_effort"})

    async def complete(self, request: ChatRequest, ctx: ProviderContext) -> dict[str, Any]:
        plan = _Plan(request)
        if plan.delay:
            await asyncio.sleep(plan.delay)
        if plan.fail:
            raise UpstreamFailure(
                "sandbox: failure forced by the prompt (sandbox:fail)", retryable=False
            )
        message: dict[str, Any] = {"role": "assistant", "content": plan.content or None}
        if plan.reasoning:
            message["reasoning_content"] = plan.reasoning
        if plan.tool_call:
            message["tool_calls"] = [plan.tool_call]
        count = int(request.params.get("n") or 1)
        return {
            "id": request.completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "choices": [
                {
                    "index": i,
                    "message": message,
                    "finish_reason": plan.finish_reason,
                    "logprobs": None,
                }
                for i in range(count)
            ],
            "usage": _scaled(plan.usage(), count),
        }

    async def stream(
        self, request: ChatRequest, ctx: ProviderContext
    ) -> AsyncIterator[dict[str, Any]]:
        plan = _Plan(request)
        created = int(time.time())

        def chunk(
            delta: dict[str, Any], finish: str | None = None, index: int = 0
        ) -> dict[str, Any]:
            return {
                "id": request.completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": request.model,
                "choices": [
                    {"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}
                ],
            }

        if plan.delay:
            await asyncio.sleep(plan.delay)
        if plan.fail:
            raise UpstreamFailure(
                "sandbox: failure forced by the prompt (sandbox:fail)", retryable=False
            )
        count = int(request.params.get("n") or 1)
        for choice in range(count):
            yield chunk({"role": "assistant", "content": ""}, index=choice)
            for piece in plan.pieces(plan.reasoning):
                await asyncio.sleep(plan.pause)
                yield chunk({"reasoning_content": piece}, index=choice)
            for index, piece in enumerate(plan.pieces(plan.content)):
                if plan.cut and index == 3:
                    raise UpstreamFailure(
                        "sandbox: stream cut by the prompt (sandbox:cut)", retryable=False
                    )
                await asyncio.sleep(plan.pause)
                yield chunk({"content": piece}, index=choice)
            if plan.tool_call:
                yield chunk({"tool_calls": [{"index": 0, **plan.tool_call}]}, index=choice)
            yield chunk({}, plan.finish_reason, index=choice)
        if request.include_usage:
            final = chunk({})
            final["choices"] = []
            final["usage"] = _scaled(plan.usage(), count)
            yield final


def _scaled(usage: dict[str, Any], count: int) -> dict[str, Any]:
    if count == 1:
        return usage
    completion = usage["completion_tokens"] * count
    return {
        **usage,
        "completion_tokens": completion,
        "total_tokens": usage["prompt_tokens"] + completion,
    }
