"""Responses through a real OpenAI-compatible upstream (the fake on loopback): what the
upstream receives, ledger rows as chat's, a stream cut short by the client billed as chat
streams are, and an upstream failure mid-stream as ``response.failed``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI

from apiinone.catalog import chat_cost, estimate_prompt_tokens, load_catalog
from tests.fakes.openai_chat import FakeOpenAI
from tests.responses.test_responses_sdk_e2e import WEATHER, validate_event
from tests.support.openai_schema import validate
from tests.support.openai_upstream import openai_upstream
from tests.support.server import Server

GEMINI = load_catalog().get("gemini").model  # type: ignore[union-attr]


@pytest.fixture
async def upstream(tmp_path: Path) -> AsyncIterator[tuple[FakeOpenAI, Server, str]]:
    async with openai_upstream(tmp_path, "sk-upstream-secret") as running:
        yield running


def client(server: Server, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


async def balance(c: httpx.AsyncClient) -> int:
    return int((await c.get("/api/v1/account")).json()["data"]["balance"])


async def test_translated_request_and_ledger_rows(
    upstream: tuple[FakeOpenAI, Server, str],
) -> None:
    fake, server, key = upstream
    async with client(server, key) as c:
        before = await balance(c)
        sdk = AsyncOpenAI(api_key=key, base_url=server.url + "/v1", max_retries=0)
        raw = await sdk.responses.with_raw_response.create(
            model="gemini",
            instructions="Be brief.",
            input=[{"type": "message", "role": "user", "content": "hello there"}],
            max_output_tokens=50,
            temperature=0.5,
            tools=[WEATHER],  # type: ignore[list-item]
            tool_choice={"type": "function", "name": "get_weather"},
            text={"format": {"type": "json_object"}},
        )
        await sdk.close()
        body = json.loads(raw.content)
        validate("Response", body)
        assert body["output"][0]["content"][0]["text"] == "Echo: hello there"
        sent = fake.requests[-1]
        assert sent["messages"] == [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hello there"},
        ]
        assert sent["max_tokens"] == 50 and sent["temperature"] == 0.5
        assert sent["tools"] == [
            {"type": "function", "function": {k: v for k, v in WEATHER.items() if k != "type"}}
        ]
        assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
        assert sent["response_format"] == {"type": "json_object"}
        cost = chat_cost(GEMINI, 11, 3)
        assert body["credits_consumed"] == cost == int(raw.headers["x-credits-consumed"])
        assert body["usage"]["input_tokens"] == 11 and body["usage"]["output_tokens"] == 3
        task_id = "chatcmpl-" + body["id"].removeprefix("resp_")
        page = (await c.get("/api/v1/usage", params={"task_id": task_id})).json()["data"]
        rows = [(r["kind"], r["amount"], r["held_delta"]) for r in reversed(page["items"])]
        held = rows[0][2]
        released = [("release", held - cost, -(held - cost))] if held > cost else []
        assert rows == [("hold", -held, held), ("capture", 0, -cost), *released]
        assert before - await balance(c) == cost


async def test_stream_cut_short_is_billed_for_what_was_delivered(
    upstream: tuple[FakeOpenAI, Server, str],
) -> None:
    fake, server, key = upstream
    async with client(server, key) as c:
        before = await balance(c)
        received = ""
        async with c.stream(
            "POST", "/v1/responses", json={"model": "gemini", "input": "fake:slow", "stream": True}
        ) as r:
            async for line in r.aiter_lines():
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    if event["type"] == "response.output_text.delta":
                        received += event["delta"]
                        if received.count("w") >= 5:
                            break
        for _ in range(40):
            if fake.disconnects:
                break
            await asyncio.sleep(0.05)
        assert fake.disconnects and fake.finished_streams == 0
        for _ in range(40):
            account = (await c.get("/api/v1/account")).json()["data"]
            if account["held"] == 0:
                break
            await asyncio.sleep(0.05)
    assert account["held"] == 0
    params = {"messages": [{"role": "user", "content": "fake:slow"}]}
    charged = before - account["balance"]
    floor = chat_cost(GEMINI, estimate_prompt_tokens(params), -(-len(received) // 4))
    ceiling = chat_cost(GEMINI, estimate_prompt_tokens(params), -(-(len(received) + 8) // 4))
    assert floor <= charged <= ceiling


async def test_upstream_failure_mid_stream_is_response_failed(
    upstream: tuple[FakeOpenAI, Server, str],
) -> None:
    _, server, key = upstream
    events: list[dict[str, Any]] = []
    async with (
        client(server, key) as c,
        c.stream(
            "POST",
            "/v1/responses",
            json={"model": "gemini", "input": "fake:midstream one two three four", "stream": True},
        ) as r,
    ):
        async for line in r.aiter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
        for event in events:
            validate_event(event)
        assert events[-1]["type"] == "response.failed"
        failed = events[-1]["response"]
        assert failed["status"] == "failed" and "upstream exploded" in failed["error"]["message"]
        assert (await c.get(f"/v1/responses/{failed['id']}")).status_code == 404
        assert (await c.get("/api/v1/account")).json()["data"]["held"] == 0
