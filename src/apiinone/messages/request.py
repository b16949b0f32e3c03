"""An Anthropic Messages request as the chat core's request (a Chat Completions body).

- ``system`` (a string or text blocks) becomes the first, ``system`` message.
- ``messages``: ``text`` blocks become text parts, ``image`` blocks (``base64`` or ``url``
  sources) ``image_url`` parts; an assistant's ``tool_use`` blocks become its ``tool_calls``;
  a user's ``tool_result`` blocks become ``tool`` messages (before the rest of that turn);
  ``thinking`` and ``redacted_thinking`` blocks are the model's own notes and are not sent.
- ``tools`` (name, description, input_schema) become functions; ``tool_choice`` ``auto`` /
  ``any`` / ``tool`` / ``none`` become ``auto`` / ``required`` / a named function / ``none``;
  ``disable_parallel_tool_use`` becomes ``parallel_tool_calls: false``.
- ``max_tokens`` (required, as Anthropic requires it), ``temperature``, ``top_p`` pass on;
  ``stop_sequences`` becomes ``stop``; ``metadata.user_id`` becomes ``user``.
- ``thinking``: ``enabled`` asks for the model's reasoning (``budget_tokens`` below
  :data:`HIGH_BUDGET` is the low level, from it the high one) and returns it as thinking
  blocks; ``adaptive`` asks for it at the model's own level; absent or ``disabled``, no
  thinking is returned.
- Anthropic's other request properties (:data:`IGNORED`) are accepted and named in
  ``X-Ignored-Params``; a name Anthropic's API does not have is a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from apiinone.errors import InvalidRequest

__all__ = ["HIGH_BUDGET", "IGNORED", "Translated", "ignored_header", "to_chat"]

HIGH_BUDGET: Final = 8192  # thinking budgets from here ask for the high reasoning level
IGNORED: Final = frozenset(
    {
        "top_k",
        "service_tier",
        "container",
        "mcp_servers",
        "context_management",
        "inference_geo",
        "output_config",
        "output_format",
        "cache_control",
    }
)
HANDLED: Final = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "system",
        "metadata",
        "stop_sequences",
        "stream",
        "temperature",
        "top_p",
        "thinking",
        "tools",
        "tool_choice",
    }
)
# Chat property names onto the Anthropic names they came from, for X-Ignored-Params.
ANTHROPIC_NAME: Final = {
    "stop": "stop_sequences",
    "user": "metadata",
    "reasoning_effort": "thinking",
    "parallel_tool_calls": "tool_choice.disable_parallel_tool_use",
}


@dataclass
class Translated:
    chat: dict[str, Any]  # the Chat Completions body
    ignored: list[str] = field(default_factory=list)  # Anthropic names given and not used
    thinking: bool = False  # the client asked for thinking blocks


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidRequest(f"'{where}' must be an object", param=where)
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidRequest(f"'{where}' must be an array", param=where)
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"'{where}' must be a string", param=where)
    return value


def _text_of(blocks: Any, where: str) -> str:
    """A string, or text blocks joined (the form of ``system`` and of tool results)."""
    if isinstance(blocks, str):
        return blocks
    texts = []
    for index, block in enumerate(_list(blocks, where)):
        at = f"{where}[{index}]"
        block = _object(block, at)
        if block.get("type") != "text":
            raise InvalidRequest(f"'{at}' must be a text block", param=f"{at}.type")
        texts.append(_string(block.get("text"), f"{at}.text"))
    return "\n".join(texts)


def _image(block: Mapping[str, Any], where: str) -> dict[str, Any]:
    source = _object(block.get("source"), f"{where}.source")
    kind = source.get("type")
    if kind == "base64":
        media = _string(source.get("media_type"), f"{where}.source.media_type")
        data = _string(source.get("data"), f"{where}.source.data")
        url = f"data:{media};base64,{data}"
    elif kind == "url":
        url = _string(source.get("url"), f"{where}.source.url")
    else:
        raise InvalidRequest(
            f"'{where}.source.type' must be 'base64' or 'url'", param=f"{where}.source.type"
        )
    return {"type": "image_url", "image_url": {"url": url}}


def _tool_result(block: Mapping[str, Any], where: str) -> dict[str, Any]:
    call_id = _string(block.get("tool_use_id"), f"{where}.tool_use_id")
    content = block.get("content", "")
    if isinstance(content, list):
        # Text blocks are the result; images in a result have no place in a tool message.
        content = [b for b in content if not (isinstance(b, Mapping) and b.get("type") == "image")]
    text = _text_of(content, f"{where}.content")
    if block.get("is_error") is True:
        text = f"Error: {text}"
    return {"role": "tool", "tool_call_id": call_id, "content": text}


def _user(content: Any, where: str, out: list[dict[str, Any]]) -> None:
    if isinstance(content, str):
        out.append({"role": "user", "content": content})
        return
    parts: list[dict[str, Any]] = []
    for index, block in enumerate(_list(content, where)):
        at = f"{where}[{index}]"
        block = _object(block, at)
        kind = block.get("type")
        if kind == "text":
            parts.append({"type": "text", "text": _string(block.get("text"), f"{at}.text")})
        elif kind == "image":
            parts.append(_image(block, at))
        elif kind == "tool_result":
            out.append(_tool_result(block, at))
        elif kind not in ("thinking", "redacted_thinking"):
            raise InvalidRequest(
                f"'{at}.type' {str(kind)[:40]!r} is not supported in a user turn",
                param=f"{at}.type",
            )
    if parts:
        out.append({"role": "user", "content": parts})


def _assistant(content: Any, where: str, out: list[dict[str, Any]]) -> None:
    if isinstance(content, str):
        out.append({"role": "assistant", "content": content})
        return
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for index, block in enumerate(_list(content, where)):
        at = f"{where}[{index}]"
        block = _object(block, at)
        kind = block.get("type")
        if kind == "text":
            texts.append(_string(block.get("text"), f"{at}.text"))
        elif kind == "tool_use":
            arguments = orjson.dumps(_object(block.get("input", {}), f"{at}.input")).decode()
            function = {"name": _string(block.get("name"), f"{at}.name"), "arguments": arguments}
            call_id = _string(block.get("id"), f"{at}.id")
            calls.append({"id": call_id, "type": "function", "function": function})
        elif kind not in ("thinking", "redacted_thinking"):
            raise InvalidRequest(
                f"'{at}.type' {str(kind)[:40]!r} is not supported in an assistant turn",
                param=f"{at}.type",
            )
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    out.append(message)


def _messages(body: Mapping[str, Any], system: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if system is not None:
        out.append({"role": "system", "content": _text_of(system, "system")})
    if "messages" not in body:
        raise InvalidRequest("'messages': Field required", param="messages")
    for index, message in enumerate(_list(body["messages"], "messages")):
        at = f"messages[{index}]"
        message = _object(message, at)
        role = message.get("role")
        content = message.get("content")
        if role == "user":
            _user(content, f"{at}.content", out)
        elif role == "assistant":
            _assistant(content, f"{at}.content", out)
        else:
            raise InvalidRequest(f"'{at}.role' must be 'user' or 'assistant'", param=f"{at}.role")
    return out


def _tools(tools: Any) -> list[dict[str, Any]]:
    out = []
    for index, tool in enumerate(_list(tools, "tools")):
        at = f"tools[{index}]"
        tool = _object(tool, at)
        if tool.get("type", "custom") not in ("custom", None):
            raise InvalidRequest(
                f"'{at}.type': only client tools (name, description, input_schema) are supported",
                param=f"{at}.type",
            )
        function: dict[str, Any] = {
            "name": _string(tool.get("name"), f"{at}.name"),
            "parameters": dict(_object(tool.get("input_schema"), f"{at}.input_schema")),
        }
        if tool.get("description") is not None:
            function["description"] = _string(tool["description"], f"{at}.description")
        out.append({"type": "function", "function": function})
    return out


def _tool_choice(choice: Any, chat: dict[str, Any]) -> None:
    choice = _object(choice, "tool_choice")
    kind = choice.get("type")
    if kind == "auto":
        chat["tool_choice"] = "auto"
    elif kind == "any":
        chat["tool_choice"] = "required"
    elif kind == "none":
        chat["tool_choice"] = "none"
    elif kind == "tool":
        name = _string(choice.get("name"), "tool_choice.name")
        chat["tool_choice"] = {"type": "function", "function": {"name": name}}
    else:
        raise InvalidRequest(
            "'tool_choice.type' must be 'auto', 'any', 'tool' or 'none'", param="tool_choice.type"
        )
    if choice.get("disable_parallel_tool_use") is True and kind != "none":
        chat["parallel_tool_calls"] = False


def _thinking(thinking: Any, chat: dict[str, Any]) -> bool:
    thinking = _object(thinking, "thinking")
    kind = thinking.get("type")
    if kind == "disabled":
        return False
    if kind == "adaptive":
        return True
    if kind != "enabled":
        raise InvalidRequest(
            "'thinking.type' must be 'enabled', 'adaptive' or 'disabled'", param="thinking.type"
        )
    budget = thinking.get("budget_tokens")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise InvalidRequest(
            "'thinking.budget_tokens' must be a positive integer", param="thinking.budget_tokens"
        )
    chat["reasoning_effort"] = "high" if budget >= HIGH_BUDGET else "low"
    return True


def to_chat(body: Mapping[str, Any], *, counting: bool = False) -> Translated:
    """The chat request for an Anthropic ``body`` (``counting``: for count_tokens, where
    ``max_tokens`` and ``stream`` have no place)."""
    unknown = [name for name in body if name not in HANDLED and name not in IGNORED]
    if unknown:
        name = str(unknown[0])[:64]
        raise InvalidRequest(f"'{name}': Extra inputs are not permitted", param=name)
    chat: dict[str, Any] = {"model": body.get("model")}
    if "model" not in body:
        raise InvalidRequest("'model': Field required", param="model")
    chat["messages"] = _messages(body, body.get("system"))
    if not counting:
        if body.get("max_tokens") is None:
            raise InvalidRequest("'max_tokens': Field required", param="max_tokens")
        chat["max_tokens"] = body["max_tokens"]
    for name in ("temperature", "top_p"):
        if body.get(name) is not None:
            chat[name] = body[name]
    if body.get("stop_sequences") is not None:
        chat["stop"] = body["stop_sequences"]
    metadata = body.get("metadata")
    if metadata is not None:
        user = _object(metadata, "metadata").get("user_id")
        if user is not None:
            chat["user"] = _string(user, "metadata.user_id")
    if body.get("tools") is not None:
        chat["tools"] = _tools(body["tools"])
    if body.get("tool_choice") is not None:
        _tool_choice(body["tool_choice"], chat)
    thinking = body.get("thinking") is not None and _thinking(body["thinking"], chat)
    chat["include_thoughts"] = thinking
    if body.get("stream") is not None and not counting:
        if not isinstance(body["stream"], bool):
            raise InvalidRequest("'stream' must be a boolean", param="stream")
        if body["stream"]:
            chat["stream"] = True
            chat["stream_options"] = {"include_usage": True}
    ignored = [name for name in body if name in IGNORED and body[name] is not None]
    return Translated(chat=chat, ignored=ignored, thinking=thinking)


def ignored_header(translated: Translated, chat_ignored: str | None) -> str:
    """``X-Ignored-Params`` in Anthropic's names: what the edge ignored, then what the
    channel did not carry."""
    names = list(translated.ignored)
    for name in (chat_ignored or "").split(","):
        name = ANTHROPIC_NAME.get(name.strip(), name.strip())
        if name and name not in names:
            names.append(name)
    return ", ".join(names)
