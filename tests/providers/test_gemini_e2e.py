"""Chat through a real gateway process whose ``gemini`` model is served by the Gemini adapter
(against the fake Gemini on loopback), driven by the official ``openai`` SDK."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest
import pytest_asyncio
from openai import AsyncOpenAI

from apiinone.auth.secrets import generate_key
from apiinone.catalog import chat_cost, load_catalog
from apiinone.providers.chat import OPENAI_PROPERTIES
from apiinone.providers.gemini.translate import GeminiOptions, carried
from tests.fakes.gemini import FakeGemini
from tests.support.openai_request import example, request_properties
from tests.support.openai_schema import validate
from tests.support.server import Server, base_env

SECRET = "AIzaSyE2eSecretGeminiKey0123456789abcd"
GEMINI = load_catalog().get("gemini").model  # type: ignore[union-attr]
# One gateway and one fake for the module: the tests share their event loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Gateway:
    fake: FakeGemini
    server: Server
    key: str
    texts: list[str]  # every raw response body seen, to look for the upstream key

    def sdk(self) -> AsyncOpenAI:
        return AsyncOpenAI(api_key=self.key, base_url=self.server.url + "/v1", max_retries=0)

    async def get(self, path: str, **params: Any) -> Any:
        async with httpx.AsyncClient(
            base_url=self.server.url, headers={"Authorization": f"Bearer {self.key}"}
        ) as client:
            response = await client.get(path, params=params)
        self.texts.append(response.text)
        return response.json()["data"]

    async def balance(self) -> int:
        return int((await self.get("/api/v1/account"))["balance"])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    tmp_path = tmp_path_factory.mktemp("gemini-e2e")
    async with FakeGemini(key=SECRET) as fake:
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f"""
[[channels]]
name = "gemini-main"
adapter = "gemini"
base_url = "{fake.url}"
credential_env = "FAKE_GEMINI_KEY"
[channels.models]
gemini = "gemini-3-flash"
"""
        )
        admin_key = generate_key()
        env = base_env(
            tmp_path / "gw",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            FAKE_GEMINI_KEY=SECRET,
            APIINONE_LOG_LEVEL="debug",
        )
        server = await asyncio.to_thread(Server(data_dir=tmp_path / "gw", env=env).start)
        gw = Gateway(fake=fake, server=server, key=admin_key, texts=[])
        try:
            yield gw
        finally:
            await asyncio.to_thread(server.stop)
            log = server.output()
            assert log, "the server wrote no log at all"
            assert SECRET not in log
            assert all(SECRET not in text for text in gw.texts)


async def test_non_streaming_with_thoughts_billed_from_usage(gateway: Gateway) -> None:
    before = await gateway.balance()
    async with gateway.sdk() as sdk:
        raw = await sdk.chat.completions.with_raw_response.create(
            model="gemini", messages=[{"role": "user", "content": "Explain Occam's razor briefly"}]
        )
    gateway.texts.append(raw.content.decode())
    body = json.loads(raw.content)
    validate("CreateChatCompletionResponse", body)
    completion = raw.parse()
    message = completion.choices[0].message
    assert message.content == "Echo: Explain Occam's razor briefly"
    assert (message.model_extra or {})["reasoning_content"].startswith("Let me think")
    usage = completion.usage
    assert usage is not None and usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 13
    assert usage.completion_tokens == 5 + 13
    cost = chat_cost(GEMINI, usage.prompt_tokens, usage.completion_tokens)
    assert body["credits_consumed"] == cost == int(raw.headers["x-credits-consumed"])
    rows = (await gateway.get("/api/v1/usage", task_id=completion.id))["items"]
    kinds = [(r["kind"], r["amount"], r["held_delta"]) for r in reversed(rows)]
    held = -kinds[0][1]
    assert kinds == [
        ("hold", -held, held),
        ("capture", 0, -cost),
        ("release", held - cost, -(held - cost)),
    ]
    assert before - await gateway.balance() == cost
    sent = gateway.fake.requests[-1]
    assert sent.model == "gemini-3-flash" and "model" not in sent.body
    assert sent.body["generationConfig"]["thinkingConfig"] == {
        "includeThoughts": True,
        "thinkingLevel": "high",
    }


async def test_streaming_with_include_usage(gateway: Gateway) -> None:
    before = await gateway.balance()
    async with gateway.sdk() as sdk:
        stream = await sdk.chat.completions.create(
            model="gemini",
            messages=[{"role": "user", "content": "count one two three four five"}],
            stream=True,
            stream_options={"include_usage": True},
            reasoning_effort="low",
        )
        chunks = [chunk async for chunk in stream]
    for chunk in chunks:
        validate("CreateChatCompletionStreamResponse", chunk.model_dump(exclude_unset=True))
    assert len({c.id for c in chunks}) == 1 and chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    thoughts = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content") or ""
        for c in chunks
        if c.choices
    )
    assert (
        text == "Echo: count one two three four five" and thoughts == "Quick check of the request."
    )
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == 7 + 5
    assert (
        gateway.fake.requests[-1].body["generationConfig"]["thinkingConfig"]["thinkingLevel"]
        == "low"
    )
    await asyncio.sleep(0.2)
    assert before - await gateway.balance() == chat_cost(
        GEMINI, last.usage.prompt_tokens, last.usage.completion_tokens
    )


async def test_tool_call_round_trip(gateway: Gateway) -> None:
    tools: Any = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    messages: list[Any] = [{"role": "user", "content": "call get_weather for Paris"}]
    async with gateway.sdk() as sdk:
        first = await sdk.chat.completions.create(model="gemini", messages=messages, tools=tools)
        choice = first.choices[0]
        assert choice.finish_reason == "tool_calls" and choice.message.tool_calls
        call = choice.message.tool_calls[0]
        assert call.id == "call_0" and call.function.name == "get_weather"  # type: ignore[union-attr]
        assert json.loads(call.function.arguments) == {"city": "city-sample"}  # type: ignore[union-attr]
        messages.append(choice.message.model_dump(exclude_none=True))
        messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'})
        second = await sdk.chat.completions.create(model="gemini", messages=messages, tools=tools)
    assert second.choices[0].message.content == 'The tool answered: get_weather said {"temp_c":21}'
    history = gateway.fake.requests[-1].body["contents"]
    assert [c["role"] for c in history] == ["user", "model", "user"]
    assert history[1]["parts"][0]["thoughtSignature"] in gateway.fake.issued  # Gemini's own, kept
    assert history[2]["parts"] == [
        {"functionResponse": {"name": "get_weather", "response": {"temp_c": 21}}}
    ]


async def test_json_schema_output(gateway: Gateway) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "score": {"type": "integer"}},
        "required": ["name", "score"],
        "additionalProperties": False,
    }
    async with gateway.sdk() as sdk:
        completion = await sdk.chat.completions.create(
            model="gemini",
            messages=[{"role": "user", "content": "rate this launch"}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "rating", "schema": schema, "strict": True},
            },
        )
    assert json.loads(completion.choices[0].message.content or "") == {
        "name": "name-sample",
        "score": 3,
    }
    config = gateway.fake.requests[-1].body["generationConfig"]
    assert (
        config["responseMimeType"] == "application/json" and config["responseJsonSchema"] == schema
    )


async def test_upstream_failures_reach_the_client_without_the_key(gateway: Gateway) -> None:
    before = await gateway.balance()
    async with gateway.sdk() as sdk:
        with pytest.raises(openai.APIStatusError) as info:
            await sdk.chat.completions.create(
                model="gemini", messages=[{"role": "user", "content": "gemini:429"}]
            )
        assert info.value.status_code == 503 and info.value.response.headers["retry-after"] == "7"
        gateway.texts.append(info.value.response.text)
        with pytest.raises(openai.BadRequestError, match="blocked the prompt") as blocked:
            await sdk.chat.completions.create(
                model="gemini", messages=[{"role": "user", "content": "gemini:blocked"}]
            )
        gateway.texts.append(blocked.value.response.text)
        stream = await sdk.chat.completions.create(
            model="gemini",
            stream=True,
            messages=[{"role": "user", "content": "a b c d e f g gemini:midstream"}],
        )
        with pytest.raises(openai.APIError, match="INTERNAL"):
            async for _ in stream:
                pass
    account = await gateway.get("/api/v1/account")
    assert account["held"] == 0 and account["balance"] < before  # the partial stream is billed


async def test_the_key_never_appears_in_the_server_log(gateway: Gateway) -> None:
    log = gateway.server.output()
    assert "providers: 1 models have channels" in log  # the log is the gateway's, at debug level
    assert SECRET not in log
    assert all(SECRET not in text for text in gateway.texts)


async def test_openai_properties_are_mapped_or_named_ignored(gateway: Gateway) -> None:
    """Every property of OpenAI's chat request (from OpenAI's schema) on a Gemini channel:
    mapped where Gemini has an equivalent, the rest named in X-Ignored-Params."""
    sent = {
        name: example(schema, full=True)
        for name, schema in request_properties("CreateChatCompletionRequest").items()
        if name not in ("model", "stream", "messages")
    }
    sent["reasoning_effort"] = "medium"
    async with gateway.sdk() as sdk:
        raw = await sdk.chat.completions.with_raw_response.create(
            model="gemini",
            messages=[{"role": "user", "content": "Say hi"}],
            extra_body=sent,
        )
        assert raw.http_response.status_code == 200
        ignored = set(raw.headers["x-ignored-params"].split(", "))
        given = (set(sent) | {"stream_options.include_obfuscation"}) & OPENAI_PROPERTIES
        assert ignored == given - carried(GeminiOptions())
        assert "temperature" not in ignored and "logprobs" in ignored
        config = gateway.fake.requests[-1].body["generationConfig"]
        assert config["thinkingConfig"]["thinkingLevel"] == "high"  # medium onto gemini's high
        assert config["temperature"] == sent["temperature"]
        assert raw.parse().choices[0].logprobs is None
        two = await sdk.chat.completions.create(
            model="gemini", messages=[{"role": "user", "content": "Say hi"}], n=2
        )
        assert [c.index for c in two.choices] == [0, 1]
        with pytest.raises(openai.BadRequestError) as caught:
            await sdk.chat.completions.create(
                model="gemini", messages=[{"role": "user", "content": "Say hi"}], n=9
            )
        assert caught.value.param == "n" and "at most 8" in caught.value.message
