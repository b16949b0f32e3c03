"""Gemini translation on recorded payloads, with no network: requests built from OpenAI
bodies, answers and streams turned into OpenAI objects, errors into failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from apiinone.providers.chat import ChatRequest, UpstreamFailure
from apiinone.providers.gemini import build
from apiinone.providers.gemini.parse import (
    StreamTranslator,
    decode_event,
    finish_reason,
    map_error,
    parse_response,
)
from apiinone.providers.gemini.translate import (
    SKIP_SIGNATURE,
    GeminiOptions,
    build_request,
)
from apiinone.providers.http import ChannelConfig
from apiinone.providers.sse import SseDecoder
from tests.support.openai_schema import validate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini"
KEY = "AIzaSyTranslateTestKey000000000000000"
CHANNEL = ChannelConfig(
    name="gemini-main/gemini",
    base_url="https://generativelanguage.googleapis.com/v1beta",
    credential=KEY,
    upstream_model="gemini-3-flash",
)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def payload(request: ChatRequest, options: GeminiOptions | None = None) -> dict[str, Any]:
    body = build_request(request, CHANNEL, options).json
    assert isinstance(body, dict)
    return body


def chat(
    messages: list[dict[str, Any]] | None = None,
    *,
    stream: bool = False,
    include_thoughts: bool = True,
    reasoning_effort: str = "high",
    **params: Any,
) -> ChatRequest:
    body = {"messages": messages or [{"role": "user", "content": "hello"}], **params}
    return ChatRequest(
        completion_id="chatcmpl-test",
        model="gemini",
        params=body,
        stream=stream,
        include_usage=False,
        include_thoughts=include_thoughts,
        reasoning_effort=reasoning_effort,
    )


# ----------------------------------------------------------------------- requests


def test_url_header_and_stream_query() -> None:
    http = build_request(chat(), CHANNEL)
    assert http.method == "POST"
    assert http.url == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-3-flash:generateContent"
    )
    assert http.headers["x-goog-api-key"] == KEY and http.params is None
    assert KEY not in http.url and KEY not in repr(http)
    streaming = build_request(chat(stream=True), CHANNEL)
    assert streaming.url.endswith("/models/gemini-3-flash:streamGenerateContent")
    assert streaming.params == {"alt": "sse"}
    prefixed = ChannelConfig(
        name="x", base_url="", credential=KEY, upstream_model="models/gemini-2.5-pro"
    )
    assert build_request(chat(), prefixed).url == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent"
    )


def test_messages_roles_system_and_media() -> None:
    body = payload(
        chat(
            [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "Use metric units."}]},
                {"role": "user", "content": "first"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {
                            "type": "image_url",
                            "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="},
                        },
                        {
                            "type": "image_url",
                            "image_url": {"url": "https://example.com/cat.webp?x=1"},
                        },
                        {"type": "image_url", "image_url": {"url": "https://example.com/raw"}},
                    ],
                },
                {"role": "assistant", "content": "A cat."},
            ]
        )
    )
    assert body["systemInstruction"] == {
        "parts": [{"text": "Be brief."}, {"text": "Use metric units."}]
    }
    assert [c["role"] for c in body["contents"]] == ["user", "model"]  # two user turns merged
    parts = body["contents"][0]["parts"]
    assert parts[0] == {"text": "first"} and parts[1] == {"text": "what is this?"}
    assert parts[2] == {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
    assert parts[3] == {
        "fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/cat.webp?x=1"}
    }
    assert parts[4]["fileData"]["mimeType"] == "image/jpeg"
    assert body["contents"][1] == {"role": "model", "parts": [{"text": "A cat."}]}


@pytest.mark.parametrize(
    "content",
    [
        [{"type": "image_url", "image_url": {"url": "ftp://example.com/a.png"}}],
        [{"type": "image_url", "image_url": {"url": "data:image/png;base64,%%%"}}],
        [{"type": "file", "file": {"file_id": "f"}}],
    ],
)
def test_unusable_content_is_refused(content: list[dict[str, Any]]) -> None:
    with pytest.raises(UpstreamFailure) as info:
        build_request(chat([{"role": "user", "content": content}]), CHANNEL)
    assert info.value.status == 400 and not info.value.retryable


def test_generation_config_and_json_output() -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
    body = payload(
        chat(
            temperature=0.2,
            top_p=0.9,
            max_tokens=300,
            stop="END",
            seed=7,
            n=1,
            presence_penalty=0.5,
            frequency_penalty=0.1,
            response_format={"type": "json_schema", "json_schema": {"name": "t", "schema": schema}},
            user="someone",
            parallel_tool_calls=True,
        )
    )
    assert set(body) == {"contents", "generationConfig"}
    assert body["generationConfig"] == {
        "temperature": 0.2,
        "topP": 0.9,
        "maxOutputTokens": 300,
        "stopSequences": ["END"],
        "seed": 7,
        "candidateCount": 1,
        "presencePenalty": 0.5,
        "frequencyPenalty": 0.1,
        "responseMimeType": "application/json",
        "responseJsonSchema": schema,
        "thinkingConfig": {"includeThoughts": True, "thinkingLevel": "high"},
    }
    plain = payload(
        chat(
            response_format={"type": "json_object"},
            max_completion_tokens=9,
            max_tokens=99,
            stop=["a", "b"],
        )
    )["generationConfig"]
    assert plain["responseMimeType"] == "application/json" and "responseJsonSchema" not in plain
    assert plain["maxOutputTokens"] == 9 and plain["stopSequences"] == ["a", "b"]


def test_reasoning_effort_and_thoughts() -> None:
    low = payload(chat(include_thoughts=False, reasoning_effort="low"))
    assert low["generationConfig"]["thinkingConfig"] == {
        "includeThoughts": False,
        "thinkingLevel": "low",
    }
    budget = GeminiOptions.read({"thinking": "budget", "thinking_budgets": {"low": 512}})
    config = payload(chat(reasoning_effort="low"), budget)["generationConfig"]
    assert config["thinkingConfig"] == {"includeThoughts": True, "thinkingBudget": 512}
    config = payload(chat(), budget)["generationConfig"]
    assert config["thinkingConfig"]["thinkingBudget"] == -1  # dynamic
    off = payload(chat(), GeminiOptions.read({"thinking": "off"}))
    assert "thinkingConfig" not in off["generationConfig"]


@pytest.mark.parametrize(
    "options",
    [
        {"thinking": "max"},
        {"thinking_budgets": {"medium": 3}},
        {"thinking_budgets": 5},
        {"timeout": 0},
    ],
)
def test_bad_options_fail_at_load(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="gemini-main/gemini"):
        build(
            ChannelConfig(
                name="gemini-main/gemini",
                base_url="",
                credential=KEY,
                upstream_model="m",
                options=options,
            )
        )
    with pytest.raises(ValueError, match="base_url"):
        build(
            ChannelConfig(
                name="c",
                base_url="generativelanguage.googleapis.com",
                credential=KEY,
                upstream_model="m",
            )
        )


TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
    {"type": "function", "function": {"name": "now"}},
]


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        (None, None),
        ("auto", {"functionCallingConfig": {"mode": "AUTO"}}),
        ("none", {"functionCallingConfig": {"mode": "NONE"}}),
        ("required", {"functionCallingConfig": {"mode": "ANY"}}),
        (
            {"type": "function", "function": {"name": "now"}},
            {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["now"]}},
        ),
    ],
)
def test_tools_and_tool_choice(choice: Any, config: Any) -> None:
    body = payload(chat(tools=TOOLS, tool_choice=choice))
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Weather for a city",
                    "parametersJsonSchema": TOOLS[0]["function"]["parameters"],
                },
                {"name": "now"},
            ]
        }
    ]
    assert body.get("toolConfig") == config


def test_tool_round_trip_history() -> None:
    signed = {
        "id": "call_0",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        "extra_content": {"google": {"thought_signature": "sig-from-gemini"}},
    }
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "call the weather tool for Paris and London"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                signed,
                {"id": "call_1", "type": "function", "function": {"name": "now", "arguments": ""}},
            ],
        },
        {"role": "tool", "tool_call_id": "call_0", "content": '{"temp": 21}'},
        {"role": "tool", "tool_call_id": "call_1", "content": "noon"},
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "call_0", "type": "function", "function": {"name": "now", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_0", "content": [{"type": "text", "text": "[1, 2]"}]},
    ]
    contents = payload(chat(messages, tools=TOOLS))["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user", "model", "user"]
    assert contents[1]["parts"] == [
        {
            "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
            "thoughtSignature": "sig-from-gemini",
        },
        {"functionCall": {"name": "now", "args": {}}},
    ]
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "get_weather", "response": {"temp": 21}}},
        {"functionResponse": {"name": "now", "response": {"result": "noon"}}},
    ]
    # A client that dropped our extra field: Google's documented skip signature on the first call.
    assert contents[3]["parts"][0]["thoughtSignature"] == SKIP_SIGNATURE
    # A reused id answers the latest call that carried it.
    assert contents[4]["parts"] == [
        {"functionResponse": {"name": "now", "response": {"result": [1, 2]}}}
    ]


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "tool", "tool_call_id": "call_9", "content": "x"}],
        [
            {
                "role": "assistant",
                "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "{oops"}}],
            }
        ],
        [
            {
                "role": "assistant",
                "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "[1]"}}],
            }
        ],
        [{"role": "function", "content": "x"}],
    ],
)
def test_inconsistent_history_is_refused(messages: list[dict[str, Any]]) -> None:
    with pytest.raises(UpstreamFailure) as info:
        build_request(chat(messages), CHANNEL)
    assert info.value.status == 400 and not info.value.retryable


# ----------------------------------------------------------------------- answers


def test_text_with_thoughts() -> None:
    body = (FIXTURES / "text_with_thoughts.json").read_bytes()
    result = parse_response(chat(), body, created=1_700_000_000)
    validate("CreateChatCompletionResponse", result)
    message = result["choices"][0]["message"]
    assert message["content"].startswith("Occam's razor says") and message["content"].endswith(
        "hose."
    )
    assert message["reasoning_content"].startswith("**Defining the razor**")
    assert result["choices"][0]["finish_reason"] == "stop"
    assert result["usage"] == {
        "prompt_tokens": 12,
        "completion_tokens": 156 + 1043,
        "total_tokens": 1211,
        "completion_tokens_details": {"reasoning_tokens": 1043},
    }
    assert (result["id"], result["created"], result["object"]) == (
        "chatcmpl-test",
        1_700_000_000,
        "chat.completion",
    )
    hidden = parse_response(chat(include_thoughts=False), body, created=1)
    assert "reasoning_content" not in hidden["choices"][0]["message"]
    assert hidden["usage"] == result["usage"]  # thoughts are billed whether shown or not


def test_function_call() -> None:
    result = parse_response(chat(), (FIXTURES / "function_call.json").read_bytes(), created=1)
    validate("CreateChatCompletionResponse", result)
    choice = result["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    calls = choice["message"]["tool_calls"]
    assert [c["id"] for c in calls] == ["call_0", "call_1"]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [
        {"city": "Paris", "unit": "celsius"},
        {"city": "London", "unit": "celsius"},
    ]
    assert calls[0]["extra_content"] == {
        "google": {"thought_signature": "CvIBAcu98PAd3m4QyYw0Zm9yLXBhcmlz"}
    }
    assert "extra_content" not in calls[1]
    # Sent back as history, the signature returns to the part it came from.
    history: list[dict[str, Any]] = [
        {"role": "user", "content": "call it"},
        {"role": "assistant", **choice["message"]},
    ]
    parts = payload(chat(history))["contents"][1]["parts"]
    assert parts[0]["thoughtSignature"] == "CvIBAcu98PAd3m4QyYw0Zm9yLXBhcmlz"
    assert "thoughtSignature" not in parts[1]


def test_json_answer() -> None:
    result = parse_response(chat(), (FIXTURES / "json_answer.json").read_bytes(), created=1)
    assert json.loads(result["choices"][0]["message"]["content"])["steps"] == [
        "draft",
        "review",
        "ship",
    ]
    assert result["usage"]["completion_tokens"] == 23 + 237


@pytest.mark.parametrize(
    ("gemini", "openai"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("SPII", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "stop"),
        ("OTHER", "stop"),
        (None, None),
    ],
)
def test_finish_reasons(gemini: str | None, openai: str | None) -> None:
    assert finish_reason(gemini, False) == openai
    assert finish_reason(gemini, True) == "tool_calls"


def test_blocked_prompt_and_odd_bodies() -> None:
    with pytest.raises(UpstreamFailure) as info:
        parse_response(chat(), (FIXTURES / "blocked.json").read_bytes(), created=1)
    assert info.value.status == 400 and not info.value.retryable
    assert "blocked the prompt (PROHIBITED_CONTENT)" in info.value.message
    for body in (b"<html>", b"[]", b'{"candidates": []}'):
        with pytest.raises(UpstreamFailure) as info:
            parse_response(chat(), body, created=1)
        assert info.value.retryable


# ----------------------------------------------------------------------- streams


def sse(events: list[Any]) -> bytes:
    return b"".join(b"data: " + orjson.dumps(e) + b"\r\n\r\n" for e in events)


def run_stream(request: ChatRequest, raw: bytes, step: int) -> list[dict[str, Any]]:
    decoder, translator = SseDecoder(), StreamTranslator(request, created=5)
    chunks: list[dict[str, Any]] = []
    for start in range(0, len(raw), step):
        for payload in decoder.feed(raw[start : start + step]):
            chunks.extend(translator.event(decode_event(payload)))
    for payload in decoder.close():
        chunks.extend(translator.event(decode_event(payload)))
    return chunks + translator.finish()


@pytest.mark.parametrize("step", [1, 7, 100_000])
def test_stream_of_events(step: int) -> None:
    chunks = run_stream(chat(stream=True), sse(fixture("stream.json")), step)
    for chunk in chunks:
        validate("CreateChatCompletionStreamResponse", chunk)
    assert {c["id"] for c in chunks} == {"chatcmpl-test"} and {c["created"] for c in chunks} == {5}
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert "".join(d.get("reasoning_content", "") for d in deltas).startswith("**Counting**")
    assert "".join(d.get("content", "") for d in deltas) == "2, 3 and 5."
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "stop" and finishes.count("stop") == 1
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == {
        "prompt_tokens": 9,
        "completion_tokens": 7 + 44,
        "total_tokens": 60,
        "completion_tokens_details": {"reasoning_tokens": 44},
    }
    hidden = run_stream(
        chat(stream=True, include_thoughts=False), sse(fixture("stream.json")), step
    )
    assert not any(
        "reasoning_content" in (c["choices"] or [{}])[0].get("delta", {}) for c in hidden
    )


def test_stream_function_call_and_sse_details() -> None:
    call = fixture("function_call.json")
    raw = b": keep-alive comment\n\n" + sse([call]).replace(b"\r\n", b"\n")
    raw = raw.replace(b"data: ", b"data:", 1)  # the space after the colon is optional
    chunks = run_stream(chat(stream=True), raw, 3)
    calls = [
        t for c in chunks if c["choices"] for t in c["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert [(t["index"], t["id"], t["function"]["name"]) for t in calls] == [
        (0, "call_0", "get_weather"),
        (1, "call_1", "get_weather"),
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "tool_calls"
    decoder = SseDecoder()
    assert decoder.feed(b'data: {"a":\ndata: 1}\n') == []
    assert decoder.close() == [
        b'{"a":\n1}'
    ]  # multi-line data, and a last event without a blank line


def test_stream_failures() -> None:
    events = fixture("stream.json")
    with pytest.raises(UpstreamFailure, match="ended before"):
        run_stream(chat(stream=True), sse(events[:2]), 50)
    with pytest.raises(UpstreamFailure, match="ended before"):
        run_stream(chat(stream=True), b"", 50)
    error = {
        "error": {"code": 500, "message": "An internal error has occurred.", "status": "INTERNAL"}
    }
    with pytest.raises(UpstreamFailure, match="INTERNAL: An internal error") as info:
        run_stream(chat(stream=True), sse([events[0], error]), 50)
    assert info.value.retryable
    with pytest.raises(UpstreamFailure, match="PROHIBITED_CONTENT") as info:
        run_stream(chat(stream=True), sse([fixture("blocked.json")]), 50)
    assert not info.value.retryable
    with pytest.raises(UpstreamFailure, match="not JSON"):
        run_stream(chat(stream=True), b"data: {oops\r\n\r\n", 50)


# ----------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "status", "retryable", "retry_after", "text"),
    [
        ("rate_limited", 429, True, 37.0, "RESOURCE_EXHAUSTED: You exceeded your current quota"),
        ("bad_key", 502, False, None, "refused the channel's credential"),
        ("no_key", 502, False, None, "refused the channel's credential"),
        ("unknown_model", 502, False, None, "does not know the channel's model"),
        (
            "bad_request",
            400,
            False,
            None,
            'INVALID_ARGUMENT: Invalid JSON payload received. Unknown name "foo"',
        ),
        ("overloaded", 503, True, None, "UNAVAILABLE: The model is overloaded"),
        ("internal", 500, True, None, "INTERNAL: An internal error"),
    ],
)
def test_errors(
    name: str, status: int, retryable: bool, retry_after: float | None, text: str
) -> None:
    case = fixture("errors.json")[name]
    failure = map_error(case["status"], orjson.dumps(case["body"]), {})
    assert (failure.status, failure.retryable, failure.retry_after) == (
        status,
        retryable,
        retry_after,
    )
    assert text in failure.message and str(failure) == failure.message


def test_error_bodies_that_are_odd() -> None:
    failure = map_error(503, b"<html>Service Unavailable</html>", {"Retry-After": "3"})
    assert failure.retryable and failure.status == 503 and "not JSON" in failure.message
    wrapped = orjson.dumps([fixture("errors.json")["rate_limited"]["body"]])
    assert map_error(429, wrapped, {}).retry_after == 37.0
    bare = orjson.dumps(
        {"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}}
    )
    assert map_error(429, bare, {"retry-after": "2"}).retry_after == 2.0
    assert map_error(429, bare, {}).retry_after is None
