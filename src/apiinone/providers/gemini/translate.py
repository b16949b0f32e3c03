"""Pure translation of an OpenAI chat request into a Gemini ``generateContent`` request.

No I/O, no clock: ``build_request`` gives an :class:`HttpRequest`; ``provider.py`` sends it.

- ``system`` / ``developer`` messages become ``systemInstruction``; ``user`` → role ``user``,
  ``assistant`` → role ``model``, ``tool`` → a ``functionResponse`` part (role ``user``) named
  after the assistant ``tool_call`` with the same id. Consecutive turns of one role are merged.
- OpenAI properties with no Gemini equivalent are not sent (``carried`` lists those that
  are; the chat core names the rest in ``X-Ignored-Params``); custom tools are left out.
- Content parts: ``text``; ``image_url`` with a ``data:`` URL → ``inlineData``, with an http(s)
  URL → ``fileData`` (mime type guessed from the path); ``input_audio`` → ``inlineData``.
- An assistant ``tool_call`` is sent back as a ``functionCall`` part with the thought signature
  we handed out (``extra_content.google.thought_signature``); when the client dropped it, the
  first call of the turn carries the validator-skip signature Google documents for foreign
  history, since Gemini 3 refuses function calls without one.
- ``reasoning_effort`` (the model's level low|high, mapped from OpenAI's values by the chat
  core) → ``thinkingConfig.thinkingLevel`` ``low``|``high`` (the Gemini 3 control). Channels
  serving a Gemini 2.5 model set ``options.thinking = "budget"`` (``thinkingBudget``:
  ``options.thinking_budgets``, default low 1024, high -1 = dynamic) or ``"off"`` (no
  ``thinkingConfig`` at all).
"""

from __future__ import annotations

import binascii
import mimetypes
from base64 import b64decode, b64encode
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, unquote_to_bytes, urlsplit

import orjson

from apiinone.providers.chat import ChatRequest, UpstreamFailure
from apiinone.providers.http import ChannelConfig, HttpRequest

__all__ = [
    "DEFAULT_BASE_URL",
    "SKIP_SIGNATURE",
    "GeminiOptions",
    "build_body",
    "build_request",
    "carried",
    "signature_of",
]

DEFAULT_BASE_URL: Final = "https://generativelanguage.googleapis.com/v1beta"
# Google's documented placeholder for function calls in history it did not sign.
SKIP_SIGNATURE: Final = "skip_thought_signature_validator"
TOOL_CHOICE_MODES: Final = {"none": "NONE", "auto": "AUTO", "required": "ANY"}
THINKING_MODES: Final = ("level", "budget", "off")
DEFAULT_IMAGE_MIME: Final = "image/jpeg"
# Gemini's image types by extension; the platform's mime table is only the fallback.
IMAGE_TYPES: Final = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".heic": "image/heic",
    ".heif": "image/heif",
}


@dataclass(frozen=True, slots=True)
class GeminiOptions:
    """A channel's adapter options (``[channels.options]``), checked when the channel loads."""

    thinking: str = "level"
    thinking_budgets: Mapping[str, int] = field(default_factory=lambda: {"low": 1024, "high": -1})
    timeout: float = 600.0

    @classmethod
    def read(cls, options: Mapping[str, Any]) -> GeminiOptions:
        thinking = options.get("thinking", "level")
        if thinking not in THINKING_MODES:
            raise ValueError(f"option thinking must be one of {THINKING_MODES}")
        budgets = {"low": 1024, "high": -1}
        raw = options.get("thinking_budgets", {})
        if not isinstance(raw, Mapping):
            raise ValueError("option thinking_budgets must be a table {low = N, high = N}")
        for key, value in raw.items():
            if key not in budgets or not isinstance(value, int) or isinstance(value, bool):
                raise ValueError("option thinking_budgets takes integers for low and high")
            budgets[key] = value
        timeout = options.get("timeout", 600.0)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError("option timeout must be a positive number of seconds")
        return cls(thinking=str(thinking), thinking_budgets=budgets, timeout=float(timeout))


# The OpenAI properties Gemini's generateContent has an equivalent for (mapped below);
# reasoning_effort too unless the channel's thinking is "off".
CARRIED: Final = frozenset(
    {
        "temperature",
        "top_p",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "stop",
        "response_format",
        "tools",
        "tool_choice",
    }
)


def carried(options: GeminiOptions) -> frozenset[str]:
    return CARRIED if options.thinking == "off" else CARRIED | {"reasoning_effort"}


def _refuse(message: str) -> UpstreamFailure:
    """A request we cannot express in Gemini's format: the client's to fix, not retryable."""
    return UpstreamFailure(message, status=400, retryable=False)


def build_request(
    request: ChatRequest, channel: ChannelConfig, options: GeminiOptions | None = None
) -> HttpRequest:
    model = channel.upstream_model.removeprefix("models/")
    base = (channel.base_url or DEFAULT_BASE_URL).rstrip("/")
    method = "streamGenerateContent" if request.stream else "generateContent"
    headers = {"Content-Type": "application/json"}
    if channel.credential:
        headers["x-goog-api-key"] = channel.credential
    return HttpRequest(
        method="POST",
        url=f"{base}/models/{quote(model, safe='-._~')}:{method}",
        headers=headers,
        json=build_body(request, options or GeminiOptions()),
        params={"alt": "sse"} if request.stream else None,
    )


def build_body(request: ChatRequest, options: GeminiOptions) -> dict[str, Any]:
    params = request.params
    system, contents = _contents(params.get("messages") or ())
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": system}
    tools = _tools(params.get("tools"))
    if tools:
        body["tools"] = tools
    tool_config = _tool_config(params.get("tool_choice"))
    if tool_config:
        body["toolConfig"] = tool_config
    body["generationConfig"] = _generation_config(request, options)
    return body


def _generation_config(request: ChatRequest, options: GeminiOptions) -> dict[str, Any]:
    params = request.params
    config: dict[str, Any] = {}
    for ours, theirs in (
        ("temperature", "temperature"),
        ("top_p", "topP"),
        ("seed", "seed"),
        ("presence_penalty", "presencePenalty"),
        ("frequency_penalty", "frequencyPenalty"),
        ("n", "candidateCount"),
    ):
        if params.get(ours) is not None:
            config[theirs] = params[ours]
    limit = params.get("max_completion_tokens") or params.get("max_tokens")
    if limit is not None:
        config["maxOutputTokens"] = limit
    stop = params.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    config.update(_response_format(params.get("response_format")))
    thinking = _thinking(request, options)
    if thinking:
        config["thinkingConfig"] = thinking
    return config


def _thinking(request: ChatRequest, options: GeminiOptions) -> dict[str, Any]:
    if options.thinking == "off":
        return {}
    effort = request.reasoning_effort if request.reasoning_effort in ("low", "high") else "high"
    config: dict[str, Any] = {"includeThoughts": request.include_thoughts}
    if options.thinking == "budget":
        config["thinkingBudget"] = options.thinking_budgets[effort]
    else:
        config["thinkingLevel"] = effort
    return config


def _response_format(fmt: Any) -> dict[str, Any]:
    if not isinstance(fmt, Mapping):
        return {}
    kind = fmt.get("type")
    if kind == "json_object":
        return {"responseMimeType": "application/json"}
    if kind == "json_schema":
        spec = fmt.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        out: dict[str, Any] = {"responseMimeType": "application/json"}
        if isinstance(schema, Mapping):
            out["responseJsonSchema"] = dict(schema)
        return out
    return {}


def _tools(tools: Any) -> list[dict[str, Any]]:
    declarations = []
    for tool in tools or ():
        if tool.get("type") != "function":
            continue  # custom (free-form) tools have no Gemini equivalent
        function = tool.get("function") or {}
        declaration: dict[str, Any] = {"name": function.get("name")}
        if function.get("description"):
            declaration["description"] = function["description"]
        if function.get("parameters"):
            declaration["parametersJsonSchema"] = function["parameters"]
        declarations.append(declaration)
    return [{"functionDeclarations": declarations}] if declarations else []


def _tool_config(choice: Any) -> dict[str, Any]:
    if isinstance(choice, str) and choice in TOOL_CHOICE_MODES:
        return {"functionCallingConfig": {"mode": TOOL_CHOICE_MODES[choice]}}
    if isinstance(choice, Mapping) and choice.get("type") == "allowed_tools":
        allowed = choice.get("allowed_tools") or {}
        names = [
            str((tool.get("function") or {}).get("name"))
            for tool in allowed.get("tools") or ()
            if isinstance(tool, Mapping) and tool.get("type") == "function"
        ]
        mode = "ANY" if allowed.get("mode") == "required" else "AUTO"
        config: dict[str, Any] = {"mode": mode}
        if names:
            config["allowedFunctionNames"] = names
        return {"functionCallingConfig": config}
    if isinstance(choice, Mapping):
        name = (choice.get("function") or {}).get("name")
        if not isinstance(name, str) or not name:
            raise _refuse("tool_choice names no function")
        return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}
    return {}


def signature_of(call: Mapping[str, Any]) -> str | None:
    """The thought signature we attached to an OpenAI tool call, if the client kept it."""
    extra = call.get("extra_content")
    google = extra.get("google") if isinstance(extra, Mapping) else None
    value = google.get("thought_signature") if isinstance(google, Mapping) else None
    return value if isinstance(value, str) and value else None


def _contents(
    messages: Sequence[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # tool_call id -> function name, latest first wins

    def add(role: str, parts: list[dict[str, Any]]) -> None:
        if not parts:
            return
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})

    for message in messages:
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            system.extend(p for p in _parts(content, text_only=True))
        elif role == "user":
            add("user", _parts(content))
        elif role == "assistant":
            parts = [p for p in _parts(content, text_only=True) if p.get("text")]
            parts.extend(_function_calls(message.get("tool_calls") or (), names))
            add("model", parts)
        elif role == "tool":
            call_id = str(message.get("tool_call_id") or "")
            if call_id not in names:
                raise _refuse(f"the tool message answers an unknown tool_call_id {call_id!r}")
            add(
                "user",
                [{"functionResponse": {"name": names[call_id], "response": _result(content)}}],
            )
        else:
            raise _refuse(f"messages with role {role!r} cannot be sent to Gemini")
    return system, contents


def _function_calls(
    calls: Sequence[Mapping[str, Any]], names: dict[str, str]
) -> list[dict[str, Any]]:
    parts = []
    for index, call in enumerate(calls):
        function = call.get("function") or {}
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise _refuse("an assistant tool_call has no function name")
        names[str(call.get("id") or "")] = name
        try:
            args = orjson.loads(function.get("arguments") or "{}")
        except orjson.JSONDecodeError as exc:
            raise _refuse(f"the arguments of tool_call {name!r} are not JSON") from exc
        if not isinstance(args, dict):
            raise _refuse(f"the arguments of tool_call {name!r} are not a JSON object")
        part: dict[str, Any] = {"functionCall": {"name": name, "args": args}}
        signature = signature_of(call) or (SKIP_SIGNATURE if index == 0 else None)
        if signature:
            part["thoughtSignature"] = signature
        parts.append(part)
    return parts


def _result(content: Any) -> dict[str, Any]:
    """A tool's output as the JSON object ``functionResponse.response`` must be."""
    text = (
        content
        if isinstance(content, str)
        else "".join(str(p.get("text") or "") for p in content or () if isinstance(p, Mapping))
    )
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = text
    return value if isinstance(value, dict) else {"result": value}


def _parts(content: Any, *, text_only: bool = False) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    parts: list[dict[str, Any]] = []
    for item in content:
        kind = item.get("type") if isinstance(item, Mapping) else None
        if kind == "text":
            parts.append({"text": str(item.get("text") or "")})
        elif kind == "refusal" and text_only:
            continue
        elif text_only:
            raise _refuse(f"content parts of type {kind!r} are only allowed in user messages")
        elif kind == "image_url":
            image = item.get("image_url")
            url = image.get("url") if isinstance(image, Mapping) else image
            parts.append(_media(str(url or ""), DEFAULT_IMAGE_MIME))
        elif kind == "input_audio":
            audio = item.get("input_audio") or {}
            fmt = str(audio.get("format") or "wav")
            parts.append({"inlineData": {"mimeType": f"audio/{fmt}", "data": audio.get("data")}})
        else:
            raise _refuse(f"content parts of type {kind!r} are not supported by Gemini")
    return parts


def _media(url: str, fallback_mime: str) -> dict[str, Any]:
    if url.startswith("data:"):
        header, sep, payload = url[5:].partition(",")
        if not sep:
            raise _refuse("a data: URL without a payload")
        mime = header.partition(";")[0]
        if header.endswith(";base64"):
            try:
                b64decode(payload, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise _refuse("a data: URL with invalid base64") from exc
            data = payload
        else:
            data = b64encode(unquote_to_bytes(payload)).decode()
        return {"inlineData": {"mimeType": mime or fallback_mime, "data": data}}
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _refuse("image URLs must be data: or http(s) URLs")
    suffix = parts.path[parts.path.rfind(".") :].lower() if "." in parts.path else ""
    guessed = IMAGE_TYPES.get(suffix) or mimetypes.guess_type(parts.path)[0]
    return {"fileData": {"mimeType": guessed or fallback_mime, "fileUri": url}}
