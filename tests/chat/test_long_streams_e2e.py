"""Many long streams at once: no silent queue in front of the upstream, and a channel's
``max_concurrency`` that fails over, then refuses at once with 503 and Retry-After.

The fake upstream holds every stream open after its first chunk until the test opens its
gate, so "every stream started before any ended" is a fact of the run, not a timing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import httpx
import pytest

from apiinone.auth.secrets import generate_key
from apiinone.catalog import chat_cost, load_catalog
from apiinone.oslimits import raise_open_files
from tests.dashboard.web import login_with_key
from tests.fakes.gated_chat import WORDS, GatedChat
from tests.support.server import Server, base_env

GEMINI = load_catalog().get("gemini").model  # type: ignore[union-attr]
OLD_POOL = 512  # the upstream pool's former fixed size
STREAMS = OLD_POOL + 88
STREAM = {
    "model": "gemini",
    "messages": [{"role": "user", "content": "a long answer, please"}],
    "stream": True,
    "max_tokens": 16,
}
CHANNEL = """
[[channels]]
name = "{name}"
adapter = "openai"
base_url = "{url}"
credential_env = "FAKE_OPENAI_KEY"
priority = {priority}
max_concurrency = {cap}
[channels.models]
gemini = "gemini-3-flash"
"""


@asynccontextmanager
async def gateway(
    tmp_path: Path, channels: list[tuple[str, GatedChat, int]]
) -> AsyncIterator[tuple[Server, str]]:
    """A gateway whose ``gemini`` goes to ``channels`` (name, fake, max_concurrency) in
    priority order, and its admin key, funded."""
    providers = tmp_path / "providers.toml"
    providers.write_text(
        "".join(
            CHANNEL.format(name=name, url=fake.url, priority=i, cap=cap)
            for i, (name, fake, cap) in enumerate(channels)
        )
    )
    admin_key = generate_key()
    env = base_env(
        tmp_path / "gw",
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_PROVIDERS_FILE=str(providers),
        APIINONE_RATE_LIMIT_PER_MINUTE="1000000",
        FAKE_OPENAI_KEY="sk-gated-upstream-key",
    )
    server = await asyncio.to_thread(Server(data_dir=tmp_path / "gw", env=env).start, 180.0)
    try:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=60
        ) as c:
            me = (await c.get("/api/v1/account")).json()["data"]["account_id"]
            r = await c.post(
                f"/api/v1/admin/accounts/{me}/credits",
                json={"amount": 10_000_000, "reason": "long streams"},
            )
            assert r.status_code == 200, r.text
        yield server, admin_key
    finally:
        await asyncio.to_thread(server.stop)


async def balance(server: Server, key: str) -> int:
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as c:
        return int((await c.get("/api/v1/account")).json()["data"]["balance"])


async def metric(server: Server, name: str, channel: str) -> float | None:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as c:
        text = (await c.get("/metrics")).text
    found = re.search(rf'^{name}{{channel="{re.escape(channel)}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else None


def admin_channels_page(url: str, key: str) -> str:
    web = login_with_key(url, key)
    try:
        return web.get("/admin/channels").text
    finally:
        web.close()


class Streams:
    """Streams read line by line: when each one started (first chunk) and ended."""

    def __init__(self, session: aiohttp.ClientSession, url: str, key: str) -> None:
        self.session, self.url, self.key = session, url, key
        self.started = 0
        self.ended = 0
        self.ended_when_all_started: int | None = None
        self.done_events = 0
        self.all_started = asyncio.Event()
        self.expected = 0

    async def one(self) -> None:
        async with self.session.post(
            self.url + "/v1/chat/completions",
            json=STREAM,
            headers={"Authorization": f"Bearer {self.key}"},
        ) as response:
            assert response.status == 200, await response.text()
            first = True
            async for line in response.content:
                if not line.startswith(b"data: "):
                    continue
                if first:
                    first = False
                    self.started += 1
                    if self.started == self.expected:
                        self.ended_when_all_started = self.ended
                        self.all_started.set()
                if line.strip() == b"data: [DONE]":
                    self.done_events += 1
        self.ended += 1


@pytest.mark.slow
async def test_more_streams_than_the_old_pool_all_start_before_any_ends(tmp_path: Path) -> None:
    raise_open_files()  # this process holds every client socket
    async with GatedChat() as fake, gateway(tmp_path, [("gated", fake, 0)]) as (server, key):
        before = await balance(server, key)
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            streams = Streams(session, server.url, key)
            streams.expected = STREAMS
            running = [asyncio.ensure_future(streams.one()) for _ in range(STREAMS)]
            try:
                # Bounded: with a pool below STREAMS the last streams would never start.
                await asyncio.wait_for(streams.all_started.wait(), timeout=300)
            except TimeoutError:
                pytest.fail(
                    f"only {streams.started} of {STREAMS} streams started "
                    f"(the upstream saw {fake.received} requests) while none could end"
                )
            finally:
                fake.open_gate()
                results = await asyncio.gather(*running, return_exceptions=True)
        assert [r for r in results if r is not None] == []
        assert streams.ended_when_all_started == 0
        assert fake.most_open == STREAMS
        assert streams.done_events == STREAMS  # no dropped [DONE]
        assert await metric(server, "apiinone_channel_in_flight", "gated") == 0.0
        # Billed exactly once each: the whole answer, by the upstream's usage.
        assert before - await balance(server, key) == STREAMS * chat_cost(GEMINI, 11, len(WORDS))


async def test_a_full_channel_fails_over_then_refuses_with_retry_after(tmp_path: Path) -> None:
    async with (
        GatedChat() as first,
        GatedChat() as second,
        gateway(tmp_path, [("first", first, 1), ("second", second, 1)]) as (server, key),
    ):
        before = await balance(server, key)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
            streams = Streams(session, server.url, key)
            streams.expected = 2
            a = asyncio.ensure_future(streams.one())
            while streams.started < 1:  # bounded by the session's timeout through `a`
                assert not a.done(), a.exception()
                await asyncio.sleep(0.05)
            b = asyncio.ensure_future(streams.one())
            await asyncio.wait_for(streams.all_started.wait(), timeout=120)
            # The first channel was full: the second stream went to the second channel.
            assert (first.received, second.received) == (1, 1)

            async with httpx.AsyncClient(
                base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
            ) as c:
                refused = await c.post(
                    "/v1/chat/completions",
                    json={**STREAM, "stream": False},
                )
                assert refused.status_code == 503, refused.text
                assert refused.headers["retry-after"] == "1"
                error = refused.json()["error"]
                assert error["type"] == "service_unavailable"
                assert "concurrency limit" in error["message"]
                also = await c.post("/v1/chat/completions", json=STREAM)
                assert also.status_code == 503 and also.headers["retry-after"] == "1"
                assert (first.received, second.received) == (1, 1)  # never sent upstream

                assert await metric(server, "apiinone_channel_in_flight", "first") == 1.0
                assert await metric(server, "apiinone_channel_in_flight", "second") == 1.0
                # first: passed over by the second stream, then the two refused requests
                assert await metric(server, "apiinone_channel_refused_total", "first") == 3.0
                assert await metric(server, "apiinone_channel_refused_total", "second") == 2.0
                items = (await c.get("/api/v1/admin/channels")).json()["data"]["items"]
                shown = {i["name"]: (i["in_flight"], i["max_concurrency"]) for i in items}
                assert shown == {"first/gemini": (1, 1), "second/gemini": (1, 1)}
                page = await asyncio.to_thread(admin_channels_page, server.url, key)
                assert page.count('data-testid="in-flight">1 / 1<') == 2

            first.open_gate()
            second.open_gate()
            await asyncio.wait_for(asyncio.gather(a, b), timeout=120)
        assert streams.done_events == 2
        assert await metric(server, "apiinone_channel_in_flight", "first") == 0.0
        assert await metric(server, "apiinone_channel_in_flight", "second") == 0.0
        assert before - await balance(server, key) == 2 * chat_cost(GEMINI, 11, len(WORDS))
