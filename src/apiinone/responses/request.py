"""A Responses request as the Chat Completions body the chat core runs.

- Every property of OpenAI's ``CreateResponse`` is accepted: mapped onto its chat
  counterpart (``input`` and ``instructions`` to ``messages``, flat function ``tools``,
  ``text.format`` to ``response_format``, ``reasoning.effort`` to ``reasoning_effort``,
  ``max_output_tokens`` to ``max_tokens``), honoured here (``store``, ``include``,
  ``previous_response_id``), or ignored and named in ``X-Ignored-Params`` (``IGNORED``).
  A name in no spec is a 400.
- ``input`` is a string or a list of items: messages (``input_text``, ``input_image``,
  earlier ``output_text``), ``function_call`` and ``function_call_output``; reasoning items
  are dropped (the model's thoughts are not sent back).
- Reasoning summaries are asked for with ``reasoning.summary``; they come from the thoughts a
  channel gives (``include_thoughts``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from apiinone.errors import InvalidRequest

__all__ = ["CREATE_PROPERTIES", "IGNORED", "Translated", "to_messages", "translate"]

# The properties of OpenAI's CreateResponse (openai-openapi, CreateResponse and the schemas
# it extends).
CREATE_PROPERTIES: Final = frozenset(
    {
        "background",
        "context_management",
        "conversation",
        "include",
        "input",
        "instructions",
        "max_output_tokens",
        "max_tool_calls",
        "metadata",
        "model",
        "moderation",
        "parallel_tool_calls",
        "previous_response_id",
        "prompt",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning",
        "safety_identifier",
        "service_tier",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "text",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "truncation",
        "user",
    }
)
# Accepted and not acted on (named in X-Ignored-Params when given).
IGNORED: Final = (
    "background",
    "context_management",
    "conversation",
    "max_tool_calls",
    "moderation",
    "prompt",
    "prompt_cache_options",
    "prompt_cache_retention",
    "top_logprobs",
    "truncation",
)
# Passed to the chat body under the same name.
SAME: Final = (
    "model",
    "temperature",
    "top_p",
    "metadata",
    "parallel_tool_calls",
    "user",
    "safety_identifier",
    "prompt_cache_key",
    "service_tier",
)
# The chat body's names as the Responses request spells them (for X-Ignored-Params).
CHAT_NAMES: Final = {
    "response_format": "text.format",
    "verbosity": "text.verbosity",
    "reasoning_effort": "reasoning.effort",
    "max_tokens": "max_output_tokens",
    "max_completion_tokens": "max_output_tokens",
    "stream_options.include_obfuscation": "stream_options.include_obfuscation",
}


@dataclass(frozen=True, slots=True)
class Translated:
    chat: dict[str, Any]  # the Chat Completions body (messages without earlier turns)
    items: list[dict[str, Any]]  # this request's input items, as given
    instructions: str | None
    summary: str | None  # reasoning.summary: reasoning items in the output when set
    ignored: tuple[str, ...]


def _need(value: Any, kind: type, param: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InvalidRequest(f"'{param}' must be {_kinds[kind]}", param=param)
    return value


_kinds = {str: "a string", dict: "an object", list: "an array", bool: "a boolean"}


def translate(body: Mapping[str, Any]) -> Translated:
    for name in body:
        if name not in CREATE_PROPERTIES:
            raise InvalidRequest(f"Unrecognized request argument supplied: {name}", param=name)
    for flag in ("stream", "store", "background"):
        if body.get(flag) is not None:
            _need(body[flag], bool, flag)
    chat: dict[str, Any] = {k: body[k] for k in SAME if body.get(k) is not None}
    ignored = [name for name in IGNORED if body.get(name) not in (None, False)]
    if body.get("input") is None:
        raise InvalidRequest("'input' is required", param="input")
    items = _items(body["input"])
    instructions = body.get("instructions")
    if instructions is not None:
        _need(instructions, str, "instructions")
    chat["messages"] = to_messages(items)
    if body.get("max_output_tokens") is not None:
        chat["max_tokens"] = body["max_output_tokens"]
    if body.get("tools") is not None:
        tools = _need(body["tools"], list, "tools")
        chat["tools"] = [_tool(t, f"tools[{i}]") for i, t in enumerate(tools)]
    if body.get("tool_choice") is not None:
        chat["tool_choice"] = _tool_choice(body["tool_choice"])
    summary = _reasoning(body.get("reasoning"), chat)
    _text(body.get("text"), chat)
    include = body.get("include")
    if include is not None:
        _need(include, list, "include")
        if include:
            ignored.append("include")
    if body.get("stream"):
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}
        options = body.get("stream_options")
        if isinstance(options, Mapping) and options.get("include_obfuscation") is not None:
            chat["stream_options"]["include_obfuscation"] = options["include_obfuscation"]
    return Translated(chat, items, instructions, summary, tuple(ignored))


def _items(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    items = _need(value, list, "input")
    for index, item in enumerate(items):
        _need(item, dict, f"input[{index}]")
    if not items:
        raise InvalidRequest("'input' must not be empty", param="input")
    return list(items)


def to_messages(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Input (or output) items as chat messages; consecutive function calls are one
    assistant message with several tool calls."""
    messages: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        param = f"input[{index}]"
        kind = item.get("type", "message")
        if kind == "message":
            messages.append(_message(item, param))
        elif kind == "function_call":
            call = {
                "id": _need(item.get("call_id"), str, f"{param}.call_id"),
                "type": "function",
                "function": {
                    "name": _need(item.get("name"), str, f"{param}.name"),
                    "arguments": _need(item.get("arguments"), str, f"{param}.arguments"),
                },
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and last.get("tool_calls"):
                last["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            if isinstance(output, list):
                output = "".join(str(p.get("text", "")) for p in output if isinstance(p, dict))
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": _need(item.get("call_id"), str, f"{param}.call_id"),
                    "content": _need(output, str, f"{param}.output"),
                }
            )
        elif kind == "reasoning":
            continue
        else:
            raise InvalidRequest(f"Input items of type '{kind}' are not supported", param=param)
    return messages


ROLES: Final = frozenset({"user", "assistant", "system", "developer"})


def _message(item: dict[str, Any], param: str) -> dict[str, Any]:
    role = item.get("role")
    if role not in ROLES:
        raise InvalidRequest(
            f"'{param}.role' must be one of {', '.join(sorted(ROLES))}", param=f"{param}.role"
        )
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    parts = _need(content, list, f"{param}.content")
    if role == "assistant":
        texts = []
        for i, part in enumerate(parts):
            where = f"{param}.content[{i}]"
            if not isinstance(part, dict) or part.get("type") not in ("output_text", "refusal"):
                raise InvalidRequest(
                    "assistant content parts must be output_text or refusal", param=where
                )
            texts.append(str(part.get("text") or part.get("refusal") or ""))
        return {"role": role, "content": "".join(texts)}
    return {
        "role": role,
        "content": [_part(p, f"{param}.content[{i}]") for i, p in enumerate(parts)],
    }


def _part(part: Any, param: str) -> dict[str, Any]:
    part = _need(part, dict, param)
    kind = part.get("type")
    if kind in ("input_text", "output_text"):
        return {"type": "text", "text": _need(part.get("text"), str, f"{param}.text")}
    if kind == "input_image":
        url = part.get("image_url")
        if url is None:
            raise InvalidRequest(
                "input_image needs 'image_url' (a URL or data URL); file ids are not supported",
                param=f"{param}.image_url",
            )
        image: dict[str, Any] = {"url": _need(url, str, f"{param}.image_url")}
        if part.get("detail") is not None:
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    raise InvalidRequest(f"Content parts of type '{kind}' are not supported", param=param)


def _tool(tool: Any, param: str) -> dict[str, Any]:
    tool = _need(tool, dict, param)
    if tool.get("type") != "function":
        raise InvalidRequest(
            f"Tools of type '{tool.get('type')}' are not supported; use function tools",
            param=f"{param}.type",
        )
    function: dict[str, Any] = {"name": _need(tool.get("name"), str, f"{param}.name")}
    for key in ("description", "parameters", "strict"):
        if tool.get(key) is not None:
            function[key] = tool[key]
    return {"type": "function", "function": function}


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, str):
        return choice
    choice = _need(choice, dict, "tool_choice")
    if choice.get("type") == "function":
        name = _need(choice.get("name"), str, "tool_choice.name")
        return {"type": "function", "function": {"name": name}}
    if choice.get("type") == "allowed_tools":
        return choice.get("mode", "auto")
    raise InvalidRequest(
        f"tool_choice of type '{choice.get('type')}' is not supported", param="tool_choice.type"
    )


def _reasoning(reasoning: Any, chat: dict[str, Any]) -> str | None:
    if reasoning is None:
        chat["include_thoughts"] = False
        return None
    reasoning = _need(reasoning, dict, "reasoning")
    if reasoning.get("effort") is not None:
        chat["reasoning_effort"] = reasoning["effort"]
    summary = reasoning.get("summary") or reasoning.get("generate_summary")
    if summary is not None:
        summary = _need(summary, str, "reasoning.summary")
    chat["include_thoughts"] = summary is not None
    return summary  # type: ignore[no-any-return]


def _text(text: Any, chat: dict[str, Any]) -> None:
    if text is None:
        return
    text = _need(text, dict, "text")
    if text.get("verbosity") is not None:
        chat["verbosity"] = text["verbosity"]
    fmt = text.get("format")
    if fmt is None:
        return
    fmt = _need(fmt, dict, "text.format")
    kind = fmt.get("type")
    if kind == "text":
        return
    if kind == "json_object":
        chat["response_format"] = {"type": "json_object"}
        return
    if kind != "json_schema":
        raise InvalidRequest(
            "'text.format.type' must be text, json_object or json_schema",
            param="text.format.type",
        )
    schema: dict[str, Any] = {"name": _need(fmt.get("name"), str, "text.format.name")}
    for key in ("schema", "strict", "description"):
        if fmt.get(key) is not None:
            schema[key] = fmt[key]
    chat["response_format"] = {"type": "json_schema", "json_schema": schema}
