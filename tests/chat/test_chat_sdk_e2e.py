"""Chat through the official openai SDK on both base URLs, validated against OpenAI's schemas."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import jsonschema
import openai
import pytest
from openai import OpenAI

from tests.conftest import Account
from tests.support.openai_schema import validate, validate_error
from tests.support.server import Server

MESSAGES = [{"role": "user", "content": "Compare image and video model routes for a launch."}]


@pytest.fixture(params=["/api/v1", "/v1"])
def sdk(
    request: pytest.FixtureRequest, server: Server, make_account: Callable[..., Account]
) -> Iterator[OpenAI]:
    acc = make_account(credits=10_000)
    client = OpenAI(api_key=acc.key, base_url=server.url + request.param, max_retries=0)
    yield client
    client.close()


def test_non_streaming(sdk: OpenAI) -> None:
    raw = sdk.chat.completions.with_raw_response.create(model="gemini", messages=MESSAGES)
    body = json.loads(raw.content)
    validate("CreateChatCompletionResponse", body)
    completion = raw.parse()
    message = completion.choices[0].message
    assert message.content and message.content.startswith("Sandbox reply to: Compare image")
    assert completion.model == "gemini" and completion.object == "chat.completion"
    assert completion.usage is not None and completion.usage.total_tokens > 0
    extra = completion.model_extra or {}
    assert isinstance(extra["credits_consumed"], int) and extra["credits_consumed"] >= 1
    assert (message.model_extra or {}).get("reasoning_content")  # include_thoughts defaults to true
    again = sdk.chat.completions.create(model="gemini", messages=MESSAGES)
    assert again.choices[0].message.content == message.content  # deterministic


def test_streaming_with_usage(sdk: OpenAI) -> None:
    stream = sdk.chat.completions.create(
        model="gemini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    for chunk in chunks:
        validate("CreateChatCompletionStreamResponse", chunk.model_dump(exclude_unset=True))
    assert len({c.id for c in chunks}) == 1 and len({c.created for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    thoughts = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content") or ""
        for c in chunks
        if c.choices
    )
    assert text.startswith("Sandbox reply to:") and thoughts
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    plain = sdk.chat.completions.create(model="gemini", messages=MESSAGES)
    assert plain.choices[0].message.content == text


def test_thoughts_off_and_low_effort(sdk: OpenAI) -> None:
    completion = sdk.chat.completions.create(
        model="gemini",
        messages=MESSAGES,
        extra_body={"include_thoughts": False, "reasoning_effort": "low"},
    )
    assert "reasoning_content" not in (completion.choices[0].message.model_extra or {})


def test_tool_call_round_trip(sdk: OpenAI) -> None:
    tools = [
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
        }
    ]
    messages: list[dict[str, object]] = [
        {"role": "user", "content": "Please call get_weather for Paris"}
    ]
    first = sdk.chat.completions.create(model="gemini", messages=messages, tools=tools)  # type: ignore[arg-type]
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]
    messages += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'},
    ]
    second = sdk.chat.completions.create(model="gemini", messages=messages, tools=tools)  # type: ignore[arg-type]
    assert second.choices[0].message.content == 'The tool returned: {"temp_c": 21}'


def test_json_schema_output(sdk: OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["name", "age", "tags"],
        "additionalProperties": False,
    }
    completion = sdk.chat.completions.create(
        model="gemini",
        messages=[{"role": "user", "content": "Describe a person"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "person", "schema": schema, "strict": True},
        },
    )
    jsonschema.validate(json.loads(completion.choices[0].message.content or ""), schema)
    as_object = sdk.chat.completions.create(
        model="gemini",
        messages=[{"role": "user", "content": "hi"}],
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(as_object.choices[0].message.content or ""), dict)


def test_max_tokens_cuts_with_length(sdk: OpenAI) -> None:
    completion = sdk.chat.completions.create(model="gemini", messages=MESSAGES, max_tokens=3)
    assert completion.choices[0].finish_reason == "length"
    assert len((completion.choices[0].message.content or "").split()) == 3


def test_sdk_errors(server: Server, make_account: Callable[..., Account]) -> None:
    bad = OpenAI(api_key="aio_" + "z" * 43, base_url=server.url + "/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as auth:
        bad.chat.completions.create(model="gemini", messages=MESSAGES)
    validate_error(auth.value.response.json(), 401)

    broke = make_account(credits=0)
    poor = OpenAI(api_key=broke.key, base_url=server.url + "/v1", max_retries=0)
    with pytest.raises(openai.APIStatusError) as payment:
        poor.chat.completions.create(model="gemini", messages=MESSAGES)
    assert payment.value.status_code == 402
    assert payment.value.response.json()["error"]["type"] == "insufficient_credits"

    acc = make_account(credits=1000)
    with server.client(acc.key) as owner:
        key = owner.post("/api/v1/keys", json={"rate_limit_per_minute": 1}).json()["data"]["key"]
    limited = OpenAI(api_key=key, base_url=server.url + "/v1", max_retries=0)
    limited.chat.completions.create(model="gemini", messages=MESSAGES)
    with pytest.raises(openai.RateLimitError):
        limited.chat.completions.create(model="gemini", messages=MESSAGES)

    with pytest.raises(openai.BadRequestError) as bad_request:
        poor.chat.completions.create(model="gemini", messages=[{"role": "wizard", "content": "x"}])  # type: ignore[list-item, misc]
    assert bad_request.value.response.json()["error"]["param"].startswith("messages[0]")
