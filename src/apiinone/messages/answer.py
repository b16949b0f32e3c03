"""A chat completion as Anthropic's message object.

- ``id`` is ``msg_`` and the completion's id without its ``chatcmpl-`` prefix, so
  ``/api/v1/usage?task_id=chatcmpl-<rest>`` finds the message's ledger rows.
- ``content``: a ``thinking`` block for the reasoning (when the client asked for thinking),
  a ``text`` block for the answer, a ``tool_use`` block per tool call (its arguments parsed;
  arguments that are not a JSON object become ``{}``).
- ``stop_reason``: ``stop`` → ``end_turn``, ``length`` → ``max_tokens``, ``tool_calls`` →
  ``tool_use``, ``content_filter`` → ``refusal``. The chat core does not say which stop
  sequence ended an answer, so ``stop_sequence`` is always null.
- ``usage``: ``prompt_tokens`` / ``completion_tokens`` as ``input_tokens`` / ``output_tokens``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any, Final

import orjson

from apiinone.billing.holds import CHAT_HOLD_PREFIX

__all__ = ["STOP_REASONS", "message_id", "signature", "to_message", "tool_input", "usage_of"]

STOP_REASONS: Final = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def message_id(completion_id: str) -> str:
    return "msg_" + completion_id.removeprefix(CHAT_HOLD_PREFIX)


def signature(thinking: str) -> str:
    """An opaque ``signature`` for a thinking block (the gateway does not check the ones
    clients send back: thinking blocks in a request are not passed on)."""
    return base64.b64encode(hashlib.sha256(thinking.encode()).digest()).decode()


def tool_input(arguments: Any) -> dict[str, Any]:
    try:
        parsed = orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def usage_of(usage: Mapping[str, Any] | None) -> dict[str, int]:
    usage = usage or {}
    return {
        "input_tokens": int(usage.get("prompt_tokens") or 0),
        "output_tokens": int(usage.get("completion_tokens") or 0),
    }


def to_message(completion: Mapping[str, Any], *, thinking: bool) -> dict[str, Any]:
    choices = completion.get("choices") or [{}]
    choice = choices[0]
    message = choice.get("message") or {}
    content: list[dict[str, Any]] = []
    reasoning = message.get("reasoning_content")
    if thinking and reasoning:
        content.append(
            {"type": "thinking", "thinking": reasoning, "signature": signature(reasoning)}
        )
    if message.get("content"):
        content.append({"type": "text", "text": message["content"]})
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id") or "",
                "name": function.get("name") or "",
                "input": tool_input(function.get("arguments")),
            }
        )
    reason = choice.get("finish_reason")
    return {
        "id": message_id(str(completion.get("id", ""))),
        "type": "message",
        "role": "assistant",
        "model": completion.get("model"),
        "content": content,
        "stop_reason": STOP_REASONS.get(reason, "end_turn") if reason else "end_turn",
        "stop_sequence": None,
        "usage": usage_of(completion.get("usage")),
    }
