"""Example request bodies built from a model's JSON Schema (models page, playground), and
the playground's code panel: the same request as curl and as the official SDK's Python, for
a chat model on each of the three chat surfaces (Chat Completions, Responses, Messages)."""

from __future__ import annotations

import pprint
import shlex
from dataclasses import dataclass
from typing import Any, cast

import orjson

from apiinone.catalog import ModelSpec, json_schema

__all__ = [
    "ANTHROPIC_MESSAGES_ARGS",
    "MAX_NESTING",
    "MESSAGES_MAX_TOKENS",
    "OPENAI_CHAT_ARGS",
    "Snippet",
    "chat_completions_snippet",
    "curl_command",
    "example_body",
    "messages_body",
    "messages_snippet",
    "nesting",
    "parameter_rows",
    "responses_body",
    "responses_snippet",
    "snippets",
    "task_snippet",
]

_TEXT = {
    "prompt": "A serene Japanese garden with cherry blossoms, koi pond and a wooden bridge",
    "gpt_description_prompt": "An upbeat synth-pop song about a summer road trip",
    "text": "Hello! This is API in One speaking.",
    "style": "synth-pop, upbeat",
    "title": "Road Trip",
}
_URLS = {"video": "https://example.com/input.mp4", "audio": "https://example.com/input.mp3"}


def _pick(schema: dict[str, Any]) -> dict[str, Any]:
    """The first non-null alternative of an ``anyOf``, recursively."""
    while "anyOf" in schema and "type" not in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        schema = {**options[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
    return schema


def _value(name: str, schema: dict[str, Any]) -> Any:
    schema = _pick(schema)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "uri":
            return next(
                (url for word, url in _URLS.items() if word in name),
                "https://example.com/input.png",
            )
        return _TEXT.get(name, "example")
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "array":
        item = schema.get("items", {"type": "string"})
        return [_value(name, item) for _ in range(max(1, int(schema.get("minItems", 1))))]
    if kind == "object":
        props = schema.get("properties", {})
        return {key: _value(key, props[key]) for key in schema.get("required", []) if key in props}
    return None


def example_body(model: ModelSpec) -> dict[str, Any]:
    """The smallest useful request: the required fields (and a prompt when there is one)."""
    schema = cast(dict[str, Any], json_schema(model))
    props: dict[str, Any] = schema["properties"]
    wanted: list[str] = [n for n in schema["required"] if n != "model"]
    wanted += [group[0] for group in model.require_any_of if not set(group) & set(wanted)]
    if "prompt" in props and "prompt" not in wanted:
        wanted.insert(0, "prompt")
    body: dict[str, Any] = {"model": model.slug} if model.model_field_required else {}
    if model.kind == "chat":
        body["messages"] = [{"role": "user", "content": "Say hello in three languages."}]
        return body
    # Choices with a default (aspect ratio, resolution, ...) show what can be set.
    wanted += [
        name
        for name, prop in props.items()
        if name not in wanted and name != "model" and "enum" in _pick(prop) and "default" in prop
    ][:4]
    for name in wanted:
        body[name] = _value(name, props[name])
    return body


BEARER = ("Authorization: Bearer $AIO_KEY",)
ANTHROPIC_HEADERS = ("x-api-key: $AIO_KEY", "anthropic-version: 2023-06-01")


def curl_command(
    base_url: str, endpoint: str, body: dict[str, Any], headers: tuple[str, ...] = BEARER
) -> str:
    """The request as a curl command; the key comes from ``$AIO_KEY`` (double quotes let
    the shell expand it)."""
    data = orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()
    lines = [f"curl {shlex.quote(base_url.rstrip('/') + endpoint)}"]
    lines += [f'  -H "{header}"' for header in (*headers, "Content-Type: application/json")]
    lines.append(f"  -d {shlex.quote(data)}")
    return " \\\n".join(lines)


def _describe_type(schema: dict[str, Any]) -> str:
    schema = _pick(schema)
    kind = schema.get("type", "any")
    if kind == "array":
        item = _pick(schema.get("items", {}))
        return f"array of {item.get('type', 'any')}"
    if schema.get("format") == "uri":
        return "URL"
    return str(kind)


def _allowed(schema: dict[str, Any]) -> str:
    schema = _pick(schema)
    if "enum" in schema:
        return ", ".join(str(v) for v in schema["enum"])
    parts = []
    if "minimum" in schema:
        parts.append(f"≥ {schema['minimum']}")
    if "exclusiveMinimum" in schema:
        parts.append(f"> {schema['exclusiveMinimum']}")
    if "maximum" in schema:
        parts.append(f"≤ {schema['maximum']}")
    if schema.get("type") == "string" and "maxLength" in schema and schema.get("format") != "uri":
        low = schema.get("minLength", 0)
        parts.append(f"{low} to {schema['maxLength']} chars")
    if schema.get("type") == "array" and "maxItems" in schema:
        parts.append(f"up to {schema['maxItems']} items")
    return ", ".join(parts)


def parameter_rows(model: ModelSpec) -> list[dict[str, Any]]:
    """One row per parameter for the models page: type, required, default, allowed."""
    schema = cast(dict[str, Any], json_schema(model))
    props: dict[str, Any] = schema["properties"]
    required = set(schema["required"])
    rows = []
    for name, prop in props.items():
        picked = _pick(prop)
        rows.append(
            {
                "name": name,
                "type": _describe_type(prop),
                "required": name in required,
                "default": prop.get("default", picked.get("default")),
                "allowed": _allowed(prop) if name != "model" else ", ".join(picked["enum"]),
                "description": prop.get("description") or picked.get("description") or "",
            }
        )
    return rows


# ── The playground's code panel ─────────────────────────────────────────────────────────

CHAT_COMPLETIONS = "/v1/chat/completions"
RESPONSES = "/v1/responses"
MESSAGES = "/v1/messages"
# Deeper bodies are refused: no request of the catalog nests this far, and the formatters
# (``pprint``, ``orjson``) recurse.
MAX_NESTING = 24
# Anthropic requires max_tokens; a chat request without a limit gets this one.
MESSAGES_MAX_TOKENS = 1024
# The keyword arguments of the openai SDK's ``chat.completions.create`` (a test holds this
# to the installed SDK); the gateway's own fields go in ``extra_body``.
OPENAI_CHAT_ARGS = frozenset(
    {
        "model", "messages", "reasoning_effort", "max_tokens", "max_completion_tokens",
        "temperature", "top_p", "presence_penalty", "frequency_penalty", "seed", "n", "stop",
        "user", "safety_identifier", "prompt_cache_key", "prompt_cache_retention", "metadata",
        "store", "service_tier", "verbosity", "logprobs", "top_logprobs", "logit_bias",
        "modalities", "audio", "prediction", "web_search_options", "tools", "tool_choice",
        "parallel_tool_calls", "functions", "function_call", "response_format",
    }
)  # fmt: skip
# The anthropic SDK's ``messages.create`` keywords among those the snippet sends (its newer
# releases dropped ``temperature`` and ``top_p``, which the gateway still takes: extra_body).
ANTHROPIC_MESSAGES_ARGS = frozenset({"model", "max_tokens", "system", "messages", "stop_sequences"})
_STREAMING = ("stream", "stream_options")
_SYSTEM = ("system", "developer")


@dataclass(frozen=True)
class Snippet:
    """One surface of a request: its endpoint, curl command and (for chat) the official
    SDK's Python."""

    surface: str
    label: str
    endpoint: str
    curl: str
    sdk: str | None = None
    python: str | None = None


def _call(target: str, method: str, args: dict[str, Any]) -> str:
    """``target = method(key=value, ...)`` with Python literals, one argument a line."""
    lines = [f"{target} = {method}("]
    for name, value in args.items():
        text = pprint.pformat(value, width=88 - len(name) - 5, sort_dicts=False)
        lines.append(f"    {name}=" + text.replace("\n", "\n" + " " * (len(name) + 5)) + ",")
    return "\n".join([*lines, ")"])


def _sdk_args(request: dict[str, Any], keywords: frozenset[str]) -> dict[str, Any]:
    """The SDK's own keywords as they are; the rest in ``extra_body``."""
    args = {k: v for k, v in request.items() if k in keywords}
    extra = {k: v for k, v in request.items() if k not in keywords}
    return {**args, "extra_body": extra} if extra else args


def _python(sdk: str, url: str, call: str, show: str) -> str:
    """A whole script: the SDK's client at ``url`` with the key from ``$AIO_KEY``."""
    client = {"openai": "OpenAI", "anthropic": "Anthropic"}[sdk]
    return (
        f"import os\n\nfrom {sdk} import {client}\n\n"
        f"client = {client}(base_url={url!r}, api_key=os.environ['AIO_KEY'])\n"
        f"{call}\n{show}\n"
    )


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    turns = body.get("messages")
    return [m for m in turns if isinstance(m, dict)] if isinstance(turns, list) else []


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "\n".join(p for p in parts if isinstance(p, str))
    return ""


def _image_url(part: dict[str, Any]) -> str | None:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    return url if isinstance(url, str) else None


def _split(body: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """The system text (system and developer messages) and the user/assistant turns."""
    messages = _messages(body)
    system = [_text(m.get("content")) for m in messages if m.get("role") in _SYSTEM]
    turns = [m for m in messages if m.get("role") in ("user", "assistant")]
    return "\n\n".join(t for t in system if t) or None, turns


def _limit(body: dict[str, Any]) -> Any:
    return body.get("max_completion_tokens", body.get("max_tokens"))


def _common(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: body[name] for name in names if body.get(name) is not None}


def chat_completions_snippet(base_url: str, body: dict[str, Any]) -> Snippet:
    request = {k: v for k, v in body.items() if k not in _STREAMING}
    args = _sdk_args(request, OPENAI_CHAT_ARGS)
    call = _call("completion", "client.chat.completions.create", args)
    show = "print(completion.choices[0].message.content)"
    python = _python("openai", base_url.rstrip("/") + "/v1", call, show)
    curl = curl_command(base_url, CHAT_COMPLETIONS, request)
    return Snippet("chat", "Chat Completions", CHAT_COMPLETIONS, curl, "openai", python)


def _responses_part(part: Any, role: str) -> dict[str, Any] | None:
    if not isinstance(part, dict):
        return None
    if part.get("type") == "text" and isinstance(part.get("text"), str):
        kind = "output_text" if role == "assistant" else "input_text"
        return {"type": kind, "text": part["text"]}
    url = _image_url(part) if part.get("type") == "image_url" else None
    return {"type": "input_image", "image_url": url} if url else None


def responses_body(body: dict[str, Any]) -> dict[str, Any]:
    """The chat request as a Responses request: ``instructions`` from the system messages,
    ``input`` (a string for one user turn), ``max_output_tokens``."""
    instructions, turns = _split(body)
    items: list[dict[str, Any]] = []
    for turn in turns:
        role, content = turn["role"], turn.get("content")
        if isinstance(content, list):
            parts = [_responses_part(p, role) for p in content]
            content = [p for p in parts if p is not None]
        items.append({"role": role, "content": content if content else ""})
    request: dict[str, Any] = {"model": body.get("model")}
    if instructions:
        request["instructions"] = instructions
    one = len(items) == 1 and items[0]["role"] == "user" and isinstance(items[0]["content"], str)
    request["input"] = items[0]["content"] if one else items
    if _limit(body) is not None:
        request["max_output_tokens"] = _limit(body)
    request.update(_common(body, ("temperature", "top_p", "user")))
    if body.get("reasoning_effort") is not None:
        request["reasoning"] = {"effort": body["reasoning_effort"]}
    return request


def responses_snippet(base_url: str, body: dict[str, Any]) -> Snippet:
    request = responses_body(body)
    call = _call("response", "client.responses.create", request)
    python = _python("openai", base_url.rstrip("/") + "/v1", call, "print(response.output_text)")
    curl = curl_command(base_url, RESPONSES, request)
    return Snippet("responses", "Responses", RESPONSES, curl, "openai", python)


def _messages_part(part: Any) -> dict[str, Any] | None:
    if not isinstance(part, dict):
        return None
    if part.get("type") == "text" and isinstance(part.get("text"), str):
        return {"type": "text", "text": part["text"]}
    url = _image_url(part) if part.get("type") == "image_url" else None
    return {"type": "image", "source": {"type": "url", "url": url}} if url else None


def messages_body(body: dict[str, Any]) -> dict[str, Any]:
    """The chat request as an Anthropic Messages request: ``system`` at the top level,
    ``max_tokens`` always (Anthropic requires it), ``stop`` as ``stop_sequences``."""
    system, turns = _split(body)
    messages: list[dict[str, Any]] = []
    for turn in turns:
        content = turn.get("content")
        if isinstance(content, list):
            parts = [_messages_part(p) for p in content]
            content = [p for p in parts if p is not None]
        messages.append({"role": turn["role"], "content": content if content else ""})
    limit = _limit(body)
    request: dict[str, Any] = {
        "model": body.get("model"),
        "max_tokens": limit if limit is not None else MESSAGES_MAX_TOKENS,
    }
    if system:
        request["system"] = system
    request["messages"] = messages
    request.update(_common(body, ("temperature", "top_p")))
    stop = body.get("stop")
    if stop:
        request["stop_sequences"] = [stop] if isinstance(stop, str) else stop
    return request


def messages_snippet(base_url: str, body: dict[str, Any]) -> Snippet:
    request = messages_body(body)
    args = _sdk_args(request, ANTHROPIC_MESSAGES_ARGS)
    call = _call("message", "client.messages.create", args)
    show = "print(''.join(block.text for block in message.content if block.type == 'text'))"
    python = _python("anthropic", base_url.rstrip("/"), call, show)
    curl = curl_command(base_url, MESSAGES, request, ANTHROPIC_HEADERS)
    return Snippet("messages", "Anthropic Messages", MESSAGES, curl, "anthropic", python)


def task_snippet(base_url: str, endpoint: str, body: dict[str, Any]) -> Snippet:
    return Snippet("task", "API", endpoint, curl_command(base_url, endpoint, body))


def nesting(value: Any) -> int:
    """Levels of arrays and objects in ``value`` (walked without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def snippets(base_url: str, model: ModelSpec, body: dict[str, Any]) -> list[Snippet]:
    """The code panel of ``model``'s request: a chat model on its three surfaces, any other
    model at its endpoint."""
    if model.kind != "chat":
        return [task_snippet(base_url, model.endpoint, body)]
    return [
        chat_completions_snippet(base_url, body),
        responses_snippet(base_url, body),
        messages_snippet(base_url, body),
    ]
