"""Anthropic's Messages API through the official anthropic SDK against the sandbox:
create (text, image, tools over two turns, thinking), streams, count_tokens and models,
every body and event validated by the SDK's own types, every message's ledger checked."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from anthropic import Anthropic

from apiinone.catalog import chat_cost, estimate_prompt_tokens, load_catalog
from tests.conftest import Account
from tests.messages.support import (
    ledger,
    parse_events,
    strict_count,
    strict_message,
)
from tests.support.server import Server

GEMINI = load_catalog().get("gemini").model  # type: ignore[union-attr]
PROMPT = "Compare image and video model routes for a launch."
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture
def account(make_account: Callable[..., Account]) -> Account:
    return make_account(credits=10_000)


@pytest.fixture(params=["x-api-key", "bearer"])
def sdk(request: pytest.FixtureRequest, server: Server, account: Account) -> Iterator[Anthropic]:
    if request.param == "x-api-key":
        client = Anthropic(api_key=account.key, base_url=server.url, max_retries=0)
    else:
        client = Anthropic(auth_token=account.key, base_url=server.url, max_retries=0)
    yield client
    client.close()


def test_text_message_is_billed_by_its_usage(
    sdk: Anthropic, server: Server, account: Account
) -> None:
    raw = sdk.messages.with_raw_response.create(
        model="gemini",
        max_tokens=300,
        system=[{"type": "text", "text": "Be brief."}],
        messages=[{"role": "user", "content": PROMPT}],
        metadata={"user_id": "u-1"},
        extra_headers={"anthropic-beta": "anything"},
    )
    message = strict_message(json.loads(raw.http_response.content))
    assert message.id.startswith("msg_") and message.model == "gemini"
    assert [b.type for b in message.content] == ["text"]  # no thinking unless asked
    assert message.content[0].text.startswith("Sandbox reply to: Compare image")  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn" and message.usage.output_tokens > 0
    cost = chat_cost(GEMINI, message.usage.input_tokens, message.usage.output_tokens)
    assert raw.headers["x-credits-consumed"] == str(cost)
    with server.client(account.key) as c:
        rows = ledger(c, message.id)
        assert rows[0][0] == "hold" and ("capture", 0, -cost) in rows
        assert c.get("/api/v1/account").json()["data"]["balance"] == 10_000 - cost


def test_image_blocks_base64_and_url(sdk: Anthropic) -> None:
    message = sdk.messages.create(
        model="gemini",
        max_tokens=200,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Describe these pictures"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                    },
                    {
                        "type": "image",
                        "source": {"type": "url", "url": "https://example.com/cat.png"},
                    },
                ],
            }
        ],
    )
    strict_message(message.model_dump(mode="json"))
    assert message.content[0].text.startswith("Sandbox reply to: Describe these")  # type: ignore[union-attr]


def test_tools_over_two_turns(sdk: Anthropic) -> None:
    question = {"role": "user", "content": "What is the weather in Paris? Call get_weather."}
    first = sdk.messages.create(
        model="gemini",
        max_tokens=200,
        tools=[WEATHER],
        tool_choice={"type": "auto"},
        messages=[question],  # type: ignore[list-item]
    )
    strict_message(first.model_dump(mode="json"))
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    assert call.name == "get_weather" and isinstance(call.input, dict) and "city" in call.input
    second = sdk.messages.create(
        model="gemini",
        max_tokens=200,
        tools=[WEATHER],
        messages=[
            question,  # type: ignore[list-item]
            {"role": "assistant", "content": first.content},  # type: ignore[typeddict-item]
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": call.id, "content": "Sunny, 21 C"}
                ],
            },
        ],
    )
    strict_message(second.model_dump(mode="json"))
    assert second.stop_reason == "end_turn"
    assert "Sunny, 21 C" in second.content[0].text  # type: ignore[union-attr]
    forced = sdk.messages.create(
        model="gemini",
        max_tokens=200,
        tools=[WEATHER],
        tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": "Hello"}],
    )
    assert forced.stop_reason == "tool_use"
    none = sdk.messages.create(
        model="gemini",
        max_tokens=200,
        tools=[WEATHER],
        tool_choice={"type": "none"},
        messages=[question],  # type: ignore[list-item]
    )
    assert none.stop_reason == "end_turn"


def test_thinking_blocks_carry_a_signature(sdk: Anthropic) -> None:
    message = sdk.messages.create(
        model="gemini",
        max_tokens=400,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": PROMPT}],
    )
    strict_message(message.model_dump(mode="json"))
    assert [b.type for b in message.content] == ["thinking", "text"]
    thinking = message.content[0]
    assert thinking.type == "thinking" and "effort low" in thinking.thinking
    assert thinking.signature
    high = sdk.messages.create(
        model="gemini",
        max_tokens=400,
        thinking={"type": "enabled", "budget_tokens": 10_000},
        messages=[
            {"role": "user", "content": PROMPT},
            {"role": "assistant", "content": message.content},  # type: ignore[typeddict-item]
            {"role": "user", "content": "And again"},
        ],
    )
    assert "effort high" in high.content[0].thinking  # type: ignore[union-attr]


def test_stream_text_and_final_message(sdk: Anthropic, server: Server, account: Account) -> None:
    with sdk.messages.stream(
        model="gemini",
        max_tokens=300,
        thinking={"type": "enabled", "budget_tokens": 2048},
        messages=[{"role": "user", "content": PROMPT}],
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    strict_message(final.model_dump(mode="json"))
    assert text.startswith("Sandbox reply to: Compare image")
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[1].text == text  # type: ignore[union-attr]
    assert final.content[0].signature  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0
    plain = sdk.messages.create(
        model="gemini",
        max_tokens=300,
        thinking={"type": "enabled", "budget_tokens": 2048},
        messages=[{"role": "user", "content": PROMPT}],
    )
    assert plain.content[1].text == text  # type: ignore[union-attr]
    cost = chat_cost(GEMINI, final.usage.input_tokens, final.usage.output_tokens)
    with server.client(account.key) as c:
        assert ("capture", 0, -cost) in ledger(c, final.id)


def test_stream_events_in_order(server: Server, account: Account) -> None:
    body = {
        "model": "gemini",
        "max_tokens": 300,
        "stream": True,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "tools": [WEATHER],
        "messages": [{"role": "user", "content": "Call get_weather for Paris"}],
    }
    headers = {"x-api-key": account.key, "anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as c:
        r = c.post("/v1/messages", json=body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_events(r.text)
    names = [name for name, _ in events]
    assert names[:2] == ["message_start", "ping"] and names[-2:] == [
        "message_delta",
        "message_stop",
    ]
    starts = [d["content_block"]["type"] for n, d in events if n == "content_block_start"]
    assert starts == ["thinking", "tool_use"]
    assert names.count("content_block_stop") == 2
    deltas = {d["delta"]["type"] for n, d in events if n == "content_block_delta"}
    assert deltas == {"thinking_delta", "signature_delta", "input_json_delta"}
    arguments = "".join(
        d["delta"]["partial_json"]
        for n, d in events
        if n == "content_block_delta" and d["delta"]["type"] == "input_json_delta"
    )
    assert "city" in json.loads(arguments)
    delta = events[-2][1]
    assert delta["delta"]["stop_reason"] == "tool_use" and delta["usage"]["output_tokens"] > 0


def test_stream_cut_short_is_billed_for_what_was_delivered(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    prompt = "tell me sandbox:cut now"
    headers = {"x-api-key": acc.key, "anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as c:
        r = c.post(
            "/v1/messages",
            json={
                "model": "gemini",
                "max_tokens": 300,
                "stream": True,
                "messages": [{"role": "user", "content": prompt}],
            },
        )
        events = parse_events(r.text)
        assert events[-1][0] == "error"
        assert events[-1][1]["error"]["type"] == "api_error"
        assert "message_stop" not in [n for n, _ in events]
        delivered = "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta")
        assert delivered
    with server.client(acc.key) as c:
        account = c.get("/api/v1/account").json()["data"]
    params = {"messages": [{"role": "user", "content": prompt}]}
    expected = chat_cost(GEMINI, estimate_prompt_tokens(params), -(-len(delivered) // 4))
    assert account["held"] == 0 and 1000 - account["balance"] == expected


def test_count_tokens_is_the_hold_estimate(
    sdk: Anthropic, server: Server, account: Account
) -> None:
    counted = sdk.messages.count_tokens(
        model="gemini",
        system="Be brief.",
        tools=[WEATHER],
        messages=[{"role": "user", "content": PROMPT}],
    )
    strict_count(counted.model_dump(mode="json"))
    params = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": PROMPT},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": WEATHER["name"],
                    "parameters": WEATHER["input_schema"],
                    "description": WEATHER["description"],
                },
            }
        ],
    }
    assert counted.input_tokens == estimate_prompt_tokens(params)
    with server.client(account.key) as c:
        assert c.get("/api/v1/account").json()["data"]["balance"] == 10_000  # free


def test_models_list_in_anthropic_shape(sdk: Anthropic, server: Server, account: Account) -> None:
    from anthropic.types import ModelInfo

    models = list(sdk.models.list(limit=1))  # pages one model at a time, to the end
    ids = [m.id for m in models]
    chat = [m.slug for m in load_catalog().models if m.kind == "chat"]
    assert ids == chat and len(ids) > 1
    for model in models:
        ModelInfo.model_validate_json(model.model_dump_json(), strict=True)
    one = sdk.models.retrieve("gemini")
    assert one.id == "gemini" and one.display_name == "Gemini"
    with server.client(account.key) as c:
        openai_shape = c.get("/v1/models").json()
        assert openai_shape["object"] == "list"
        assert len(openai_shape["data"]) > len(ids)  # media models too, without the header


def test_stream_left_by_the_client_is_settled_for_what_was_delivered(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    body = {
        "model": "gemini",
        "max_tokens": 2000,
        "stream": True,
        "messages": [{"role": "user", "content": "a long answer please sandbox:slow"}],
    }
    headers = {"x-api-key": acc.key, "anthropic-version": "2023-06-01"}
    with (
        httpx.Client(base_url=server.url, headers=headers, timeout=30) as c,
        c.stream("POST", "/v1/messages", json=body) as r,
    ):
        seen = ""
        for line in r.iter_lines():  # up to the first words of the answer, then hang up
            seen += line
            if "text_delta" in line:
                break
        message_id = seen.split('"id":"', 1)[1].split('"', 1)[0]
    assert "text_delta" in seen
    with server.client(acc.key) as c:
        account = c.get("/api/v1/account").json()["data"]
        for _ in range(100):  # the gateway settles in the background once it sees the hang-up
            if account["held"] == 0:
                break
            time.sleep(0.1)
            account = c.get("/api/v1/account").json()["data"]
        rows = ledger(c, message_id)
    hold = -rows[0][1]
    spent = 1000 - account["balance"]
    assert account["held"] == 0 and [kind for kind, _, _ in rows] == ["hold", "capture", "release"]
    assert 0 < spent < hold and rows[1][2] == -spent
