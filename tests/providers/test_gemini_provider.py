"""The Gemini adapter against the in-process fake Gemini: answers, streams, tool round trips,
and every failure knob."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from apiinone.providers.base import ProviderContext
from apiinone.providers.chat import ChatRequest, UpstreamFailure
from apiinone.providers.gemini import GeminiChatProvider, build
from apiinone.providers.http import ChannelConfig
from tests.fakes.gemini import FakeGemini

KEY = "AIzaSyProviderTestKey1234567890abcdefg"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeGemini]:
    async with FakeGemini(key=KEY) as server:
        yield server


@pytest.fixture
async def ctx() -> AsyncIterator[ProviderContext]:
    async def no_fetch(url: str) -> tuple[bytes, str]:
        raise AssertionError("the Gemini adapter fetches nothing through the gateway")

    async with aiohttp.ClientSession() as session:
        yield ProviderContext(session=session, fetch=no_fetch)


def provider(
    url: str, *, key: str = KEY, model: str = "gemini-3-flash", **kwargs: Any
) -> GeminiChatProvider:
    channel = ChannelConfig(
        name="gemini-test/gemini", base_url=url, credential=key, upstream_model=model
    )
    return GeminiChatProvider(channel, **kwargs) if kwargs else build(channel)


def chat(
    text: str = "hello there",
    *,
    messages: list[dict[str, Any]] | None = None,
    stream: bool = False,
    include_thoughts: bool = True,
    reasoning_effort: str = "high",
    **params: Any,
) -> ChatRequest:
    return ChatRequest(
        completion_id="chatcmpl-provider",
        model="gemini",
        params={"messages": messages or [{"role": "user", "content": text}], **params},
        stream=stream,
        include_usage=True,
        include_thoughts=include_thoughts,
        reasoning_effort=reasoning_effort,
    )


async def collect(
    p: GeminiChatProvider, request: ChatRequest, ctx: ProviderContext
) -> list[dict[str, Any]]:
    return [chunk async for chunk in p.stream(request, ctx)]


def text_of(chunks: list[dict[str, Any]], key: str = "content") -> str:
    return "".join(c["choices"][0]["delta"].get(key) or "" for c in chunks if c["choices"])


async def test_text_answer_with_thoughts(fake: FakeGemini, ctx: ProviderContext) -> None:
    result = await provider(fake.url).complete(chat("hello there"), ctx)
    message = result["choices"][0]["message"]
    assert message["content"] == "Echo: hello there"
    assert message["reasoning_content"].startswith("Let me think")
    usage = result["usage"]
    thoughts = usage["completion_tokens_details"]["reasoning_tokens"]
    assert thoughts == 13 and usage["completion_tokens"] == 3 + thoughts
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    sent = fake.requests[-1]
    assert (sent.model, sent.method, sent.query) == ("gemini-3-flash", "generateContent", {})
    assert sent.body["generationConfig"]["thinkingConfig"] == {
        "includeThoughts": True,
        "thinkingLevel": "high",
    }


async def test_thoughts_hidden_still_billed_and_low_effort_thinks_less(
    fake: FakeGemini, ctx: ProviderContext
) -> None:
    p = provider(fake.url)
    hidden = await p.complete(chat(include_thoughts=False), ctx)
    assert "reasoning_content" not in hidden["choices"][0]["message"]
    assert hidden["usage"]["completion_tokens_details"]["reasoning_tokens"] == 13
    low = await p.complete(chat(reasoning_effort="low"), ctx)
    assert low["usage"]["completion_tokens_details"]["reasoning_tokens"] < 13
    assert fake.requests[-1].body["generationConfig"]["thinkingConfig"]["thinkingLevel"] == "low"


async def test_tool_call_round_trip(fake: FakeGemini, ctx: ProviderContext) -> None:
    p = provider(fake.url)
    question = {"role": "user", "content": "please call get_weather for Paris"}
    first = await p.complete(chat(messages=[question], tools=[WEATHER]), ctx)
    choice = first["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["id"] == "call_0" and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "city-sample", "days": 3}
    assert call["extra_content"]["google"]["thought_signature"] in fake.issued
    history: list[dict[str, Any]] = [
        question,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": '{"temp_c": 21}'},
    ]
    second = await p.complete(chat(messages=history, tools=[WEATHER]), ctx)
    assert (
        second["choices"][0]["message"]["content"]
        == 'The tool answered: get_weather said {"temp_c":21}'
    )
    assert second["choices"][0]["finish_reason"] == "stop"
    # A client that rebuilt the tool call without our extra field still gets through.
    bare = {k: v for k, v in call.items() if k != "extra_content"}
    history[1] = {"role": "assistant", "content": None, "tool_calls": [bare]}
    third = await p.complete(chat(messages=history, tools=[WEATHER]), ctx)
    assert third["choices"][0]["message"]["content"].startswith("The tool answered")
    # A forged signature is refused by Gemini: the client's request, not retryable.
    forged = {**call, "extra_content": {"google": {"thought_signature": "forged"}}}
    history[1] = {"role": "assistant", "content": None, "tool_calls": [forged]}
    with pytest.raises(UpstreamFailure, match="missing a thought_signature") as info:
        await p.complete(chat(messages=history, tools=[WEATHER]), ctx)
    assert info.value.status == 400 and not info.value.retryable


async def test_tool_choice_forces_and_forbids(fake: FakeGemini, ctx: ProviderContext) -> None:
    p = provider(fake.url)
    forced = await p.complete(chat("just chat", tools=[WEATHER], tool_choice="required"), ctx)
    assert forced["choices"][0]["finish_reason"] == "tool_calls"
    none = await p.complete(chat("call it", tools=[WEATHER], tool_choice="none"), ctx)
    assert none["choices"][0]["message"]["content"] == "Echo: call it"


async def test_json_schema_output(fake: FakeGemini, ctx: ProviderContext) -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["title", "tags"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "plan", "schema": schema, "strict": True}}
    result = await provider(fake.url).complete(chat("plan a launch", response_format=fmt), ctx)
    assert json.loads(result["choices"][0]["message"]["content"]) == {
        "title": "title-sample",
        "tags": ["tags-sample"],
    }
    config = fake.requests[-1].body["generationConfig"]
    assert (
        config["responseMimeType"] == "application/json" and config["responseJsonSchema"] == schema
    )


async def test_max_tokens_and_stop(fake: FakeGemini, ctx: ProviderContext) -> None:
    p = provider(fake.url)
    cut = await p.complete(chat("one two three four five", max_tokens=2), ctx)
    assert cut["choices"][0]["message"]["content"] == "Echo: one"
    assert cut["choices"][0]["finish_reason"] == "length"
    stopped = await p.complete(chat("alpha beta gamma", stop=["gamma"]), ctx)
    assert stopped["choices"][0]["message"]["content"] == "Echo: alpha beta "
    assert stopped["choices"][0]["finish_reason"] == "stop"


async def test_stream(fake: FakeGemini, ctx: ProviderContext) -> None:
    chunks = await collect(
        provider(fake.url), chat("one two three four five six seven", stream=True), ctx
    )
    sent = fake.requests[-1]
    assert (sent.method, sent.query) == ("streamGenerateContent", {"alt": "sse"})
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert text_of(chunks) == "Echo: one two three four five six seven"
    assert text_of(chunks, "reasoning_content").startswith("Let me think")
    assert len([c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]) >= 3
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    usage = chunks[-1]["usage"]
    assert chunks[-1]["choices"] == [] and usage["completion_tokens"] == 8 + 13
    assert fake.finished_streams == 1


async def test_stream_tool_call(fake: FakeGemini, ctx: ProviderContext) -> None:
    chunks = await collect(
        provider(fake.url), chat("call get_weather", stream=True, tools=[WEATHER]), ctx
    )
    calls = [
        t for c in chunks if c["choices"] for t in c["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert [(t["index"], t["id"], t["function"]["name"]) for t in calls] == [
        (0, "call_0", "get_weather")
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "tool_calls"
    assert chunks[-1]["usage"]["completion_tokens"] > 0


@pytest.mark.parametrize("stream", [False, True])
async def test_rate_limit(fake: FakeGemini, ctx: ProviderContext, stream: bool) -> None:
    p = provider(fake.url)
    with pytest.raises(UpstreamFailure) as info:
        if stream:
            await collect(p, chat("gemini:429", stream=True), ctx)
        else:
            await p.complete(chat("gemini:429"), ctx)
    failure = info.value
    assert (failure.status, failure.retryable, failure.retry_after) == (429, True, 7.0)
    assert failure.message.startswith("RESOURCE_EXHAUSTED: You exceeded your current quota")


@pytest.mark.parametrize("stream", [False, True])
async def test_server_error_and_malformed(
    fake: FakeGemini, ctx: ProviderContext, stream: bool
) -> None:
    p = provider(fake.url)
    for word, text in (("gemini:500", "INTERNAL"), ("gemini:malformed", "not JSON|not an event")):
        with pytest.raises(UpstreamFailure, match=text) as info:
            if stream:
                await collect(p, chat(word, stream=True), ctx)
            else:
                await p.complete(chat(word), ctx)
        assert info.value.retryable


async def test_blocked_prompt(fake: FakeGemini, ctx: ProviderContext) -> None:
    p = provider(fake.url)
    with pytest.raises(UpstreamFailure, match=r"blocked the prompt \(SAFETY\)") as info:
        await p.complete(chat("gemini:blocked"), ctx)
    assert info.value.status == 400 and not info.value.retryable
    with pytest.raises(UpstreamFailure, match=r"blocked the prompt \(SAFETY\)"):
        await collect(p, chat("gemini:blocked", stream=True), ctx)


async def test_connection_reset(fake: FakeGemini, ctx: ProviderContext) -> None:
    p = provider(fake.url)
    with pytest.raises(UpstreamFailure, match="could not reach Gemini") as info:
        await p.complete(chat("gemini:reset"), ctx)
    assert info.value.retryable
    received: list[dict[str, Any]] = []
    with pytest.raises(UpstreamFailure, match=r"broke|ended before"):
        async for chunk in p.stream(chat("gemini:reset", stream=True), ctx):
            received.append(chunk)
    assert received  # the first event got through before the connection dropped


async def test_stall_hits_the_read_timeout(fake: FakeGemini, ctx: ProviderContext) -> None:
    p = provider(fake.url, read_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(UpstreamFailure, match=r"could not reach Gemini \(.*Timeout"):
        await p.complete(chat("gemini:stall"), ctx)
    with pytest.raises(UpstreamFailure, match="Timeout"):
        await collect(p, chat("gemini:stall", stream=True), ctx)
    assert time.monotonic() - started < 15  # the timeout ended it, not the fake's 30-s stall


async def test_midstream_error(fake: FakeGemini, ctx: ProviderContext) -> None:
    received: list[dict[str, Any]] = []
    with pytest.raises(UpstreamFailure, match="INTERNAL: An internal error") as info:
        async for chunk in provider(fake.url).stream(
            chat("a b c d e f g gemini:midstream", stream=True), ctx
        ):
            received.append(chunk)
    assert info.value.retryable and text_of(received)  # some output came first


async def test_closing_the_stream_disconnects_upstream(
    fake: FakeGemini, ctx: ProviderContext
) -> None:
    iterator = provider(fake.url).stream(chat("gemini:slow", stream=True), ctx).__aiter__()
    for _ in range(4):
        await iterator.__anext__()
    closed = time.monotonic()
    await iterator.aclose()  # type: ignore[attr-defined]
    for _ in range(40):
        if fake.disconnects:
            break
        await asyncio.sleep(0.05)
    assert fake.disconnects and fake.disconnects[-1] - closed < 1.0
    assert fake.finished_streams == 0


async def test_wrong_key_unknown_model_and_unreachable(
    fake: FakeGemini, ctx: ProviderContext, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "AIzaSyWrongKeyWrongKeyWrongKey00000000"
    with pytest.raises(UpstreamFailure, match="refused the channel's credential") as info:
        await provider(fake.url, key=wrong).complete(chat(), ctx)
    assert (info.value.status, info.value.retryable) == (502, False)
    assert wrong not in info.value.message
    with pytest.raises(UpstreamFailure, match="does not know the channel's model"):
        await provider(fake.url, model="gemini-9-ultra").complete(chat(), ctx)
    caplog.set_level(logging.WARNING)
    with pytest.raises(UpstreamFailure, match="could not reach Gemini") as info:
        await provider("http://127.0.0.1:9/v1beta").complete(chat(), ctx)
    assert info.value.retryable
    assert KEY not in caplog.text and "127.0.0.1:9" in caplog.text


async def test_the_key_is_scrubbed_from_failures(ctx: ProviderContext) -> None:
    async def echo_key(request: web.Request) -> web.Response:
        key = request.headers["x-goog-api-key"]
        return web.json_response(
            {
                "error": {
                    "code": 400,
                    "message": f"bad request for key {key}",
                    "status": "INVALID_ARGUMENT",
                }
            },
            status=400,
        )

    app = web.Application()
    app.router.add_post("/v1beta/models/{target}", echo_key)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        p = provider(f"http://127.0.0.1:{port}/v1beta")
        for stream in (False, True):
            with pytest.raises(UpstreamFailure) as info:
                if stream:
                    await collect(p, chat(stream=True), ctx)
                else:
                    await p.complete(chat(), ctx)
            assert KEY not in info.value.message and KEY not in str(info.value)
            assert "[redacted]" in info.value.message
        assert KEY not in repr(p)
    finally:
        await runner.cleanup()
