"""Responses through a gateway whose ``gemini`` model is served by the Gemini adapter (the
fake Gemini on loopback): the model's thoughts as reasoning summaries, reasoning tokens in
``usage``, the effort mapped, and the ledger as chat's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI

from apiinone.auth.secrets import generate_key
from apiinone.catalog import chat_cost, load_catalog
from tests.fakes.gemini import FakeGemini
from tests.responses.test_responses_sdk_e2e import validate_event
from tests.support.openai_schema import validate
from tests.support.server import Server, base_env

SECRET = "AIzaSyE2eSecretGeminiKey0123456789abcd"
GEMINI = load_catalog().get("gemini").model  # type: ignore[union-attr]


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[tuple[FakeGemini, Server, str]]:
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
        )
        server = await asyncio.to_thread(Server(data_dir=tmp_path / "gw", env=env).start)
        try:
            yield fake, server, admin_key
        finally:
            await asyncio.to_thread(server.stop)
            assert SECRET not in server.output()


async def test_reasoning_summaries_usage_and_ledger(
    gateway: tuple[FakeGemini, Server, str],
) -> None:
    fake, server, key = gateway
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}
    ) as c:
        before = int((await c.get("/api/v1/account")).json()["data"]["balance"])
        async with AsyncOpenAI(api_key=key, base_url=server.url + "/v1", max_retries=0) as sdk:
            raw = await sdk.responses.with_raw_response.create(
                model="gemini",
                input="Explain Occam's razor briefly",
                reasoning={"effort": "high", "summary": "auto"},
            )
        body = json.loads(raw.content)
        validate("Response", body)
        reasoning, message = body["output"]
        assert reasoning["type"] == "reasoning"
        assert reasoning["summary"][0]["text"].startswith("Let me think")
        assert message["content"][0]["text"] == "Echo: Explain Occam's razor briefly"
        usage = body["usage"]
        assert usage["output_tokens_details"]["reasoning_tokens"] == 13
        assert usage["output_tokens"] == 5 + 13
        cost = chat_cost(GEMINI, usage["input_tokens"], usage["output_tokens"])
        assert body["credits_consumed"] == cost
        thinking = fake.requests[-1].body["generationConfig"]["thinkingConfig"]
        assert thinking == {"includeThoughts": True, "thinkingLevel": "high"}
        task_id = "chatcmpl-" + body["id"].removeprefix("resp_")
        page = (await c.get("/api/v1/usage", params={"task_id": task_id})).json()["data"]
        kinds = [r["kind"] for r in reversed(page["items"])]
        assert kinds[:2] == ["hold", "capture"]
        assert -sum(r["held_delta"] for r in page["items"] if r["kind"] == "capture") == cost
        assert before - int((await c.get("/api/v1/account")).json()["data"]["balance"]) == cost


async def test_streamed_summary_and_no_thoughts_unless_asked(
    gateway: tuple[FakeGemini, Server, str],
) -> None:
    fake, server, key = gateway
    events: list[dict[str, Any]] = []
    async with (
        httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as c,
        c.stream(
            "POST",
            "/v1/responses",
            json={
                "model": "gemini",
                "input": "count one two three four five",
                "reasoning": {"effort": "low", "summary": "concise"},
                "stream": True,
            },
        ) as r,
    ):
        async for line in r.aiter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    for event in events:
        validate_event(event)
    kinds = [e["type"] for e in events]
    summary = "".join(
        e["delta"] for e in events if e["type"] == "response.reasoning_summary_text.delta"
    )
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert summary == "Quick check of the request."
    assert text == "Echo: count one two three four five"
    assert kinds.index("response.reasoning_summary_part.done") < kinds.index(
        "response.content_part.added"
    )
    final = events[-1]["response"]
    assert final["usage"]["output_tokens"] == 7 + 5
    assert fake.requests[-1].body["generationConfig"]["thinkingConfig"]["thinkingLevel"] == "low"

    async with AsyncOpenAI(api_key=key, base_url=server.url + "/v1", max_retries=0) as sdk:
        plain = await sdk.responses.create(model="gemini", input="Explain Occam's razor briefly")
    assert [item.type for item in plain.output] == ["message"]
    assert fake.requests[-1].body["generationConfig"].get("thinkingConfig", {}).get(
        "includeThoughts"
    ) in (None, False)
