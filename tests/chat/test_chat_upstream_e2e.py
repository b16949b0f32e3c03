"""Chat through a real OpenAI-compatible upstream (a fake on loopback): pass-through,
disconnects that stop the upstream within a second, errors, and no-channel 503s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai
import orjson
import pytest

from apiinone.catalog import chat_cost, estimate_prompt_tokens, load_catalog
from tests.fakes.openai_chat import FakeOpenAI
from tests.support.openai_schema import validate
from tests.support.openai_upstream import openai_upstream
from tests.support.server import Server

GEMINI = load_catalog().get("gemini").model  # type: ignore[union-attr]


@pytest.fixture
async def upstream(tmp_path: Path) -> AsyncIterator[tuple[FakeOpenAI, Server, str]]:
    async with openai_upstream(
        tmp_path, "sk-upstream-secret", APIINONE_CHAT_KEEPALIVE_SECONDS="0.5"
    ) as running:
        yield running


def client(server: Server, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


async def test_pass_through_and_billing(upstream: tuple[FakeOpenAI, Server, str]) -> None:
    fake, server, key = upstream
    async with client(server, key) as c:
        before = (await c.get("/api/v1/account")).json()["data"]["balance"]
        r = await c.post(
            "/v1/chat/completions",
            json={"model": "gemini", "messages": [{"role": "user", "content": "hello there"}]},
        )
        body = r.json()
        assert body["choices"][0]["message"]["content"] == "Echo: hello there"
        assert body["model"] == "gemini" and fake.requests[-1]["model"] == "gemini-3-flash"
        assert "include_thoughts" not in fake.requests[-1]
        assert body["credits_consumed"] == chat_cost(GEMINI, 11, 3)
        after = (await c.get("/api/v1/account")).json()["data"]["balance"]
        assert before - after == body["credits_consumed"]
        assert "sk-upstream-secret" not in r.text
        assert "sk-upstream-secret" not in server.output()


async def test_streaming_forces_usage_upstream_but_hides_it(
    upstream: tuple[FakeOpenAI, Server, str],
) -> None:
    fake, server, key = upstream
    async with (
        client(server, key) as c,
        c.stream(
            "POST",
            "/v1/chat/completions",
            json={
                "model": "gemini",
                "stream": True,
                "messages": [{"role": "user", "content": "one two three"}],
            },
        ) as r,
    ):
        lines = [line async for line in r.aiter_lines() if line.startswith("data: ")]
    assert fake.requests[-1]["stream_options"] == {"include_usage": True}
    assert lines[-1] == "data: [DONE]"
    chunks = [orjson.loads(x[6:]) for x in lines[:-1]]
    assert all(ch["choices"] for ch in chunks)  # the client did not ask for usage
    assert (
        "".join(ch["choices"][0]["delta"].get("content", "") for ch in chunks).strip()
        == "Echo: one two three"
    )


async def test_client_disconnect_stops_upstream_within_a_second(
    upstream: tuple[FakeOpenAI, Server, str],
) -> None:
    fake, server, key = upstream
    async with client(server, key) as c:
        before = (await c.get("/api/v1/account")).json()["data"]["balance"]
        received = ""
        async with c.stream(
            "POST",
            "/v1/chat/completions",
            json={
                "model": "gemini",
                "stream": True,
                "messages": [{"role": "user", "content": "fake:slow"}],
            },
        ) as r:
            async for line in r.aiter_lines():
                if line.startswith("data: "):
                    delta = orjson.loads(line[6:])["choices"][0]["delta"]
                    received += delta.get("content", "")
                    if received.count("w") >= 5:
                        break
        dropped = time.monotonic()
        for _ in range(40):
            if fake.disconnects:
                break
            await asyncio.sleep(0.05)
        assert fake.disconnects and fake.disconnects[-1] - dropped < 1.0
        assert fake.finished_streams == 0
        await asyncio.sleep(0.3)  # settlement runs after the stream is gone
        account = (await c.get("/api/v1/account")).json()["data"]
    assert account["held"] == 0
    params = {"messages": [{"role": "user", "content": "fake:slow"}]}
    charged = before - account["balance"]
    # Billed by the written rule: prompt estimate + ceil(delivered chars / 4), at least what was read.
    floor = chat_cost(GEMINI, estimate_prompt_tokens(params), -(-len(received) // 4))
    ceiling = chat_cost(GEMINI, estimate_prompt_tokens(params), -(-(len(received) + 8) // 4))
    assert floor <= charged <= ceiling


async def test_upstream_errors_map_to_ours(upstream: tuple[FakeOpenAI, Server, str]) -> None:
    _, server, key = upstream
    async with client(server, key) as c:
        r = await c.post(
            "/v1/chat/completions",
            json={"model": "gemini", "messages": [{"role": "user", "content": "fake:429"}]},
        )
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        r = await c.post(
            "/v1/chat/completions",
            json={"model": "gemini", "messages": [{"role": "user", "content": "fake:400"}]},
        )
        assert r.status_code == 400 and "forced 400" in r.json()["error"]["message"]
        r = await c.post(
            "/v1/chat/completions",
            json={"model": "gemini", "messages": [{"role": "user", "content": "fake:500"}]},
        )
        assert r.status_code == 502
        async with c.stream(
            "POST",
            "/v1/chat/completions",
            json={
                "model": "gemini",
                "stream": True,
                "messages": [{"role": "user", "content": "one two three four fake:midstream"}],
            },
        ) as s:
            lines = [line async for line in s.aiter_lines() if line.startswith("data: ")]
        assert orjson.loads(lines[-1][6:])["error"]["message"].endswith("upstream exploded")
        account = (await c.get("/api/v1/account")).json()["data"]
        assert account["held"] == 0


async def test_models_without_a_channel_are_503_but_test_keys_use_the_sandbox(
    upstream: tuple[FakeOpenAI, Server, str],
) -> None:
    _, server, key = upstream
    async with client(server, key) as c:
        r = await c.post(
            "/v1/chat/completions",
            json={"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert r.status_code == 503 and r.json()["error"]["type"] == "service_unavailable"
        r = await c.post("/api/v1/images/generations", json={"model": "flux-2", "prompt": "a cat"})
        assert r.status_code == 503
        models = (await c.get("/api/v1/models")).json()["data"]
        assert models["sandbox_mode"] is False
        test_key = (await c.post("/api/v1/keys", json={"test": True})).json()["data"]["key"]
    async with client(server, test_key) as t:
        r = await t.post(
            "/v1/chat/completions",
            json={"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"].startswith(
            "Sandbox reply"
        )
        assert (await t.get("/api/v1/models")).json()["data"]["sandbox_mode"] is True


async def test_keepalive_comments_flow_while_the_upstream_is_silent(
    upstream: tuple[FakeOpenAI, Server, str],
) -> None:
    _, server, key = upstream
    async with (
        client(server, key) as c,
        c.stream(
            "POST",
            "/v1/chat/completions",
            json={
                "model": "gemini",
                "stream": True,
                "messages": [{"role": "user", "content": "a b c d fake:pause"}],
            },
        ) as r,
    ):
        lines = [line async for line in r.aiter_lines() if line.strip()]
    keepalives = [i for i, line in enumerate(lines) if line == ": keep-alive"]
    assert len(keepalives) >= 2  # 2 s of silence, one comment every 0.5 s
    assert lines[-1] == "data: [DONE]"
    content = "".join(
        orjson.loads(x[6:])["choices"][0]["delta"].get("content", "")
        for x in lines
        if x.startswith("data: {")
    )
    assert content.strip() == "Echo: a b c d fake:pause"


async def _http_chunks(server: Server, key: str, path: str, body: dict[str, Any]) -> list[bytes]:
    """The answer's body as the HTTP chunks it was written in (one chunk per write)."""
    address = urlsplit(server.url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    payload = orjson.dumps(body)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n".encode()
        + payload
    )
    raw = await asyncio.wait_for(reader.read(-1), 30)
    writer.close()
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"transfer-encoding: chunked" in head.lower()
    chunks = []
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        chunks.append(rest[:size])
        rest = rest[size + 2 :]
    assert chunks[-1] == b""  # the last chunk closes the body
    return chunks[:-1]


async def test_events_ready_at_once_go_out_in_one_write(
    upstream: tuple[FakeOpenAI, Server, str],
) -> None:
    """A provider that sends its whole stream at once: the chat surface writes the events it
    has in hand together (the first alone, as soon as it is there), byte for byte the events
    the provider gave; the Messages surface, which translates event by event, is unchanged."""
    _, server, key = upstream
    words = "fake:together " + " ".join(f"w{i}" for i in range(12))
    messages = [{"role": "user", "content": words}]
    chunks = await _http_chunks(
        server,
        key,
        "/v1/chat/completions",
        {"model": "gemini", "stream": True, "messages": messages},
    )
    events = b"".join(chunks).split(b"\n\n")
    assert events[-1] == b"" and events[-2] == b"data: [DONE]"
    parsed = [orjson.loads(e[len(b"data: ") :]) for e in events[:-2]]
    assert parsed[0]["choices"][0]["delta"]["role"] == "assistant"
    content = "".join(p["choices"][0]["delta"].get("content") or "" for p in parsed)
    assert content.strip() == f"Echo: {words}"
    assert len(parsed) == 16  # the role, 14 words, the finish
    assert chunks[0].count(b"\n\n") == 1  # the first event did not wait for the others
    assert len(chunks) <= 3  # 17 events in at most three writes
    for chunk in parsed:
        validate("CreateChatCompletionStreamResponse", chunk)

    sdk = openai.AsyncOpenAI(api_key=key, base_url=server.url + "/v1", max_retries=0)
    async with sdk:
        stream = await sdk.chat.completions.create(
            model="gemini",
            messages=messages,
            stream=True,
        )
        read = [chunk async for chunk in stream]
    assert len(read) == 16  # the SDK splits the joined writes into the same events
    assert "".join(c.choices[0].delta.content or "" for c in read).strip() == f"Echo: {words}"

    anthropic = await _http_chunks(
        server,
        key,
        "/v1/messages",
        {"model": "gemini", "stream": True, "max_tokens": 200, "messages": messages},
    )
    names = [
        line[len(b"event: ") :]
        for line in b"".join(anthropic).split(b"\n")
        if line.startswith(b"event: ")
    ]
    assert names[0] == b"message_start" and names[-1] == b"message_stop"
    assert names.count(b"content_block_delta") == 14
