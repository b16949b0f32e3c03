"""The Response object: a chat completion's answer in the Responses shape.

``shell`` is the response's echo of the request (model, instructions, tools, settings);
``items_from`` turns one chat choice into output items (a reasoning item with the thoughts
as its summary when asked for, the assistant message, one item per tool call), and
``usage_from`` the chat usage into the Responses usage.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from apiinone.responses.request import Translated

__all__ = ["finish", "items_from", "new_id", "shell", "status_of", "usage_from"]


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(16)}"


def _flat_tool(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool["function"]
    return {
        "type": "function",
        "name": function["name"],
        "description": function.get("description"),
        "parameters": function.get("parameters"),
        "strict": function.get("strict", True),
    }


def _tool_choice(body: Mapping[str, Any]) -> Any:
    choice = body.get("tool_choice")
    if choice is None:
        return "auto"
    return choice


def _text_format(chat: Mapping[str, Any]) -> dict[str, Any]:
    fmt = chat.get("response_format")
    if fmt is None:
        return {"type": "text"}
    if fmt["type"] == "json_schema":
        return {"type": "json_schema", **fmt["json_schema"]}
    return {"type": "json_object"}


def shell(
    response_id: str,
    model: str,
    body: Mapping[str, Any],
    translated: Translated,
    *,
    previous: str | None,
    status: str = "in_progress",
) -> dict[str, Any]:
    chat = translated.chat
    reasoning = body.get("reasoning") or {}
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": translated.instructions,
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": model,
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": previous,
        "reasoning": {"effort": reasoning.get("effort"), "summary": translated.summary},
        "service_tier": "default",
        "store": body.get("store", True) is not False,
        "temperature": body.get("temperature", 1.0),
        "text": {"format": _text_format(chat)},
        "tool_choice": _tool_choice(body),
        "tools": [_flat_tool(t) for t in chat.get("tools", ())],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "metadata": body.get("metadata") or {},
    } | ({"user": body["user"]} if body.get("user") is not None else {})


def items_from(message: Mapping[str, Any], summary: str | None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    thoughts = message.get("reasoning_content")
    if summary is not None and thoughts:
        items.append(reasoning_item(new_id("rs"), thoughts))
    if message.get("content"):
        items.append(message_item(new_id("msg"), message["content"], "completed"))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        items.append(
            call_item(
                new_id("fc"), call["id"], function.get("name", ""), function.get("arguments", "")
            )
        )
    return items


def reasoning_item(item_id: str, text: str | None) -> dict[str, Any]:
    summary = [] if text is None else [{"type": "summary_text", "text": text}]
    return {"type": "reasoning", "id": item_id, "summary": summary}


def message_item(item_id: str, text: str | None, status: str) -> dict[str, Any]:
    content = [] if text is None else [output_text(text)]
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": content,
    }


def output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def call_item(item_id: str, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": "completed",
    }


def usage_from(usage: Mapping[str, Any]) -> dict[str, Any]:
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    reasoning = int((usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0)
    cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": int(usage.get("total_tokens") or prompt + completion),
    }


def status_of(finish_reason: str | None) -> tuple[str, dict[str, Any] | None]:
    if finish_reason == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if finish_reason == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


def finish(
    response: dict[str, Any],
    items: list[dict[str, Any]],
    finish_reason: str | None,
    usage: Mapping[str, Any] | None,
) -> dict[str, Any]:
    status, details = status_of(finish_reason)
    for item in items:
        if item["type"] == "message":
            item["status"] = status
    response.update(status=status, incomplete_details=details, output=items)
    if usage is not None:
        response["usage"] = usage_from(usage)
    return response
