"""One charge per Idempotency-Key, streams included (a counting fake upstream on loopback).

- A streamed chat sent twice with one Idempotency-Key calls the upstream once, holds and
  captures once, and the second answer is the same Server-Sent Events, ``[DONE]`` included.
- A stream the client cut short was charged for what it delivered: its retry replays what
  was sent and calls the upstream no more.
- A non-streamed chat is the same: one upstream call, the answer replayed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.openai_chat import FakeOpenAI
from tests.support.openai_upstream import openai_upstream
from tests.support.server import Server

CHAT = "/v1/chat/completions"


@pytest.fixture
async def upstream(tmp_path: Path) -> AsyncIterator[tuple[FakeOpenAI, Server, str]]:
    async with openai_upstream(tmp_path, "sk-idempotent-upstream") as running:
        yield running


def _client(server: Server, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


async def _ledger(c: httpx.AsyncClient, kind: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await c.get("/api/v1/usage", params={"kind": kind})).json()[
        "data"
    ]["items"]
    return items


async def _stream(c: httpx.AsyncClient, body: dict[str, Any], idem: str) -> tuple[Any, list[str]]:
    async with c.stream("POST", CHAT, json=body, headers={"Idempotency-Key": idem}) as r:
        lines = [line async for line in r.aiter_lines() if line]
    return r, lines


async def test_a_streamed_chat_is_charged_once_and_replayed(
    upstream: tuple[FakeOpenAI, Server, str],
) -> None:
    fake, server, key = upstream
    body = {
        "model": "gemini",
        "stream": True,
        "messages": [{"role": "user", "content": "one two three four"}],
    }
    async with _client(server, key) as c:
        before = (await c.get("/api/v1/account")).json()["data"]["balance"]
        first, first_lines = await _stream(c, body, "stream-once")
        second, second_lines = await _stream(c, body, "stream-once")
        after = (await c.get("/api/v1/account")).json()["data"]["balance"]
        holds, captures = await _ledger(c, "hold"), await _ledger(c, "capture")
    assert len(fake.requests) == 1
    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"].startswith("text/event-stream")
    assert first_lines[-1] == "data: [DONE]" and len(first_lines) > 4
    assert second_lines == first_lines
    assert len(holds) == 1 and len(captures) == 1
    assert before - after == -captures[0]["held_delta"] > 0


async def test_a_stream_cut_short_is_not_run_again(
    upstream: tuple[FakeOpenAI, Server, str],
) -> None:
    fake, server, key = upstream
    body = {
        "model": "gemini",
        "stream": True,
        "messages": [{"role": "user", "content": "fake:slow"}],
    }
    async with _client(server, key) as c:
        async with c.stream("POST", CHAT, json=body, headers={"Idempotency-Key": "cut"}) as r:
            seen = []
            async for line in r.aiter_lines():
                if line.startswith("data: "):
                    seen.append(line)
                if len(seen) == 3:
                    break  # the client goes away mid-stream
        for _ in range(100):  # the gateway notices and keeps what it sent
            again, lines = await _stream(c, body, "cut")
            if again.status_code != 409:
                break
            await asyncio.sleep(0.1)
        holds = await _ledger(c, "hold")
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert lines[:3] == seen and "data: [DONE]" not in lines
    assert len(fake.requests) == 1 and len(holds) == 1


async def test_a_plain_chat_is_charged_once(upstream: tuple[FakeOpenAI, Server, str]) -> None:
    fake, server, key = upstream
    body = {"model": "gemini", "messages": [{"role": "user", "content": "once"}]}
    async with _client(server, key) as c:
        first = await c.post(CHAT, json=body, headers={"Idempotency-Key": "plain"})
        second = await c.post(CHAT, json=body, headers={"Idempotency-Key": "plain"})
        captures = await _ledger(c, "capture")
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    assert len(fake.requests) == 1 and len(captures) == 1
