"""Anthropic's Messages API against real upstreams (fakes on loopback): an OpenAI-compatible
channel and a Gemini channel, through the official anthropic SDK, every message's ledger
rows checked and a stream cut short by the upstream billed for what was delivered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from anthropic import AsyncAnthropic

from apiinone.auth.secrets import generate_key
from apiinone.catalog import chat_cost, estimate_prompt_tokens, load_catalog
from tests.fakes.gemini import FakeGemini
from tests.fakes.openai_chat import FakeOpenAI
from tests.messages.support import parse_events, strict_message
from tests.support.server import Server, base_env

pytestmark = pytest.mark.asyncio(loop_scope="module")
GEMINI = load_catalog().get("gemini").model  # type: ignore[union-attr]
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@dataclass
class Upstream:
    kind: str
    fake: FakeOpenAI | FakeGemini
    server: Server
    key: str

    def sdk(self) -> AsyncAnthropic:
        return AsyncAnthropic(api_key=self.key, base_url=self.server.url, max_retries=0)

    def http(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.key}"}
        return httpx.AsyncClient(base_url=self.server.url, headers=headers, timeout=30)

    async def ledger(self, message_id: str) -> list[tuple[str, int, int]]:
        task_id = "chatcmpl-" + message_id.removeprefix("msg_")
        async with self.http() as c:
            r = await c.get("/api/v1/usage", params={"task_id": task_id})
        return [
            (x["kind"], x["amount"], x["held_delta"]) for x in reversed(r.json()["data"]["items"])
        ]

    async def account(self) -> dict[str, int]:
        async with self.http() as c:
            data: dict[str, int] = (await c.get("/api/v1/account")).json()["data"]
        return data


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["openai", "gemini"])
async def upstream(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Upstream]:
    tmp_path = tmp_path_factory.mktemp(f"messages-{request.param}")
    fake: FakeOpenAI | FakeGemini
    if request.param == "openai":
        fake, secret, env_name = (
            FakeOpenAI(token="sk-upstream-secret"),
            "sk-upstream-secret",
            "FAKE_OPENAI_KEY",
        )
    else:
        fake, secret, env_name = (
            FakeGemini(key="AIza-upstream-secret-key"),
            "AIza-upstream-secret-key",
            "FAKE_GEMINI_KEY",
        )
    async with fake:
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f"""
[[channels]]
name = "fake"
adapter = "{request.param}"
base_url = "{fake.url}"
credential_env = "{env_name}"
[channels.models]
gemini = "gemini-3-flash"
"""
        )
        admin_key = generate_key()
        env = base_env(
            tmp_path / "gw",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            **{env_name: secret},
        )
        server = await asyncio.to_thread(Server(data_dir=tmp_path / "gw", env=env).start)
        try:
            yield Upstream(request.param, fake, server, admin_key)
        finally:
            await asyncio.to_thread(server.stop)


async def test_message_and_stream_are_billed_by_usage(upstream: Upstream) -> None:
    before = (await upstream.account())["balance"]
    async with upstream.sdk() as sdk:
        message = await sdk.messages.create(
            model="gemini",
            max_tokens=200,
            system="Answer plainly.",
            messages=[{"role": "user", "content": "hello there"}],
        )
        async with sdk.messages.stream(
            model="gemini",
            max_tokens=200,
            messages=[{"role": "user", "content": "one two three"}],
        ) as stream:
            text = "".join([t async for t in stream.text_stream])
            final = await stream.get_final_message()
    strict_message(message.model_dump(mode="json"))
    strict_message(final.model_dump(mode="json"))
    assert message.content[0].text == "Echo: hello there"  # type: ignore[union-attr]
    assert text == final.content[0].text  # type: ignore[union-attr]
    assert text.strip() == "Echo: one two three"
    spent = 0
    for done in (message, final):
        assert done.usage.input_tokens > 0 and done.usage.output_tokens > 0
        cost = chat_cost(GEMINI, done.usage.input_tokens, done.usage.output_tokens)
        rows = await upstream.ledger(done.id)
        assert rows[0][0] == "hold" and ("capture", 0, -cost) in rows
        spent += cost
    after = await upstream.account()
    assert before - after["balance"] == spent and after["held"] == 0


async def test_tools_over_two_turns(upstream: Upstream) -> None:
    question = {"role": "user", "content": "Please call get_weather for Paris"}
    async with upstream.sdk() as sdk:
        first = await sdk.messages.create(
            model="gemini",
            max_tokens=200,
            tools=[WEATHER],  # type: ignore[list-item]
            tool_choice={"type": "any"},
            messages=[question],  # type: ignore[list-item]
        )
        if upstream.kind == "openai":  # the fake echoes; the request shows the translation
            sent = upstream.fake.requests[-1]
            assert isinstance(sent, dict) and sent["tool_choice"] == "required"
            assert sent["tools"][0]["function"]["parameters"] == WEATHER["input_schema"]
            content: list[Any] = [
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "P"}}
            ]
        else:
            assert first.stop_reason == "tool_use"
            content = first.content
        call = (
            next(b for b in first.content if b.type == "tool_use")
            if upstream.kind == "gemini"
            else None
        )
        call_id = call.id if call is not None else "call_1"
        if call is not None:
            assert call.name == "get_weather" and isinstance(call.input, dict)
        second = await sdk.messages.create(
            model="gemini",
            max_tokens=200,
            tools=[WEATHER],  # type: ignore[list-item]
            messages=[
                question,  # type: ignore[list-item]
                {"role": "assistant", "content": content},
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": call_id, "content": "Sunny"}
                    ],
                },
            ],
        )
    strict_message(second.model_dump(mode="json"))
    assert second.stop_reason == "end_turn"
    sent = upstream.fake.requests[-1]
    body = sent if isinstance(sent, dict) else sent.body
    if upstream.kind == "openai":
        assert [m["role"] for m in body["messages"]] == ["user", "assistant", "tool"]
        assert body["messages"][2] == {"role": "tool", "tool_call_id": call_id, "content": "Sunny"}
    else:
        parts = [p for c in body["contents"] for p in c["parts"]]
        assert any("functionResponse" in p for p in parts)


async def test_stream_cut_by_the_upstream_is_billed_for_what_was_delivered(
    upstream: Upstream,
) -> None:
    prompt = f"tell me {upstream.kind if upstream.kind == 'gemini' else 'fake'}:midstream now"
    before = (await upstream.account())["balance"]
    body = {
        "model": "gemini",
        "max_tokens": 200,
        "stream": True,
        "messages": [{"role": "user", "content": prompt}],
    }
    headers = {"x-api-key": upstream.key, "anthropic-version": "2023-06-01"}
    async with httpx.AsyncClient(base_url=upstream.server.url, headers=headers, timeout=30) as c:
        r = await c.post("/v1/messages", json=body)
    events = parse_events(r.text)
    assert events[-1][0] == "error" and "message_stop" not in [n for n, _ in events]
    delivered = "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta")
    assert delivered
    after = await upstream.account()
    spent = before - after["balance"]
    assert after["held"] == 0 and spent > 0
    if upstream.kind == "openai":  # no usage before the cut: the estimate rule
        params = {"messages": [{"role": "user", "content": prompt}]}
        estimate = chat_cost(GEMINI, estimate_prompt_tokens(params), -(-len(delivered) // 4))
        assert spent == estimate
