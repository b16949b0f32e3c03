"""HttpJobProvider's I/O and error translation, against a tiny loopback app."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web

from apiinone.providers.base import (
    Failed,
    JobRequest,
    Outcome,
    PollOutcome,
    ProviderContext,
    Running,
    Submitted,
    Succeeded,
)
from apiinone.providers.http import (
    TRANSIENT_KEY,
    ChannelConfig,
    HttpFailed,
    HttpJobProvider,
    HttpRequest,
    HttpResponse,
    MalformedResponse,
)

KEY = "sk-driver-secret-0123456789"
JOB = JobRequest(
    task_id="t1", model="m", variant=None, endpoint="e", kind="image", params={"prompt": "x"}
)


@dataclass(frozen=True)
class EchoTranslator:
    """Submits to ``/submit/<mode>``, polls ``/poll/<mode>``; echoes the upstream's text
    into failures (so scrubbing can be seen)."""

    mode: str = "ok"

    def build_submit(self, job: JobRequest, channel: ChannelConfig) -> HttpRequest:
        return HttpRequest(
            "POST",
            f"{channel.base_url}/submit/{self.mode}",
            headers={"Authorization": f"Bearer {channel.credential}"},
            json={"prompt": job.params["prompt"]},
            params={"q": "1"},
        )

    def parse_submit(self, job: JobRequest, response: HttpResponse) -> Outcome:
        if response.status != 200:
            return self.map_error(response)
        body = response.json()
        return Submitted(upstream_id=str(body["id"]), state={"seen": body})

    def build_poll(
        self,
        job: JobRequest,
        channel: ChannelConfig,
        upstream_id: str,
        state: Mapping[str, Any] | None,
    ) -> HttpRequest:
        assert TRANSIENT_KEY not in (state or {})  # the driver's key is its own
        return HttpRequest(
            "GET",
            f"{channel.base_url}/poll/{self.mode}",
            headers={"Authorization": f"Bearer {channel.credential}"},
        )

    def parse_poll(
        self, job: JobRequest, response: HttpResponse, state: Mapping[str, Any] | None
    ) -> PollOutcome:
        assert TRANSIENT_KEY not in (state or {})
        if response.status != 200:
            return self.map_error(response)
        body = response.json()
        if body.get("done"):
            return Succeeded(result=body)
        return Running(progress=body.get("progress"))

    def build_cancel(
        self, job: JobRequest, channel: ChannelConfig, upstream_id: str
    ) -> HttpRequest | None:
        if self.mode == "no-cancel":
            return None
        return HttpRequest(
            "POST", f"{channel.base_url}/cancel/{upstream_id}", headers={"Authorization": "x"}
        )

    def map_error(self, response: HttpResponse) -> Failed:
        return HttpFailed(
            message=f"upstream said: {response.body.decode(errors='replace')}",
            code="upstream_error",
            retryable=response.status >= 500,
            status=response.status,
        )


@dataclass
class Upstream:
    url: str
    seen: list[dict[str, Any]]
    mode: dict[str, str]


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    seen: list[dict[str, Any]] = []
    mode = {"poll": "ok"}

    async def submit(request: web.Request) -> web.StreamResponse:
        seen.append(
            {
                "path": request.path,
                "query": dict(request.query),
                "headers": dict(request.headers),
                "body": await request.read(),
            }
        )
        what = request.match_info["mode"]
        if what == "echo-key":  # a careless upstream repeating the credential
            return web.Response(status=400, text=f"bad key {request.headers['Authorization']}")
        if what == "malformed":
            return web.Response(text="{not json")
        if what == "stall":
            await asyncio.sleep(5)
        if what == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response()
        if what == "redirect":
            raise web.HTTPFound("/elsewhere")
        return web.json_response({"id": "u1"})

    async def poll(request: web.Request) -> web.StreamResponse:
        what = mode["poll"]
        if what == "reset":
            assert request.transport is not None
            request.transport.abort()
            return web.Response()
        if what == "malformed":
            return web.Response(text="<html>")
        if what == "stall":
            await asyncio.sleep(5)
        if what == "done":
            return web.json_response({"done": True})
        return web.json_response({"progress": 40})

    async def cancel(request: web.Request) -> web.Response:
        seen.append({"path": request.path})
        return web.Response(status=500)

    app = web.Application()
    app.router.add_post("/submit/{mode}", submit)
    app.router.add_get("/poll/{mode}", poll)
    app.router.add_post("/cancel/{id}", cancel)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    yield Upstream(url=f"http://{host}:{port}", seen=seen, mode=mode)
    await runner.cleanup()


@pytest.fixture
async def ctx() -> AsyncIterator[ProviderContext]:
    async def no_fetch(url: str) -> tuple[bytes, str]:
        raise AssertionError("not used")

    async with aiohttp.ClientSession() as session:
        yield ProviderContext(session=session, fetch=no_fetch)


def driver(url: str, mode: str = "ok", *, timeout: float = 2.0) -> HttpJobProvider:
    channel = ChannelConfig(name="ch", base_url=url, credential=KEY, upstream_model="m")
    return HttpJobProvider("test-upstream", EchoTranslator(mode), channel, timeout=timeout)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_a_request_is_sent_as_built(upstream: Upstream, ctx: ProviderContext) -> None:
    outcome = await driver(upstream.url).submit(JOB, ctx)
    assert outcome == Submitted(upstream_id="u1", state={"seen": {"id": "u1"}})
    (req,) = upstream.seen
    assert req["query"] == {"q": "1"}
    assert req["headers"]["Authorization"] == f"Bearer {KEY}"
    assert req["headers"]["Content-Type"] == "application/json"
    assert orjson.loads(req["body"]) == {"prompt": "x"}


@pytest.mark.parametrize("mode", ["reset", "stall"])
async def test_no_answer_on_submit_is_retryable(
    upstream: Upstream, ctx: ProviderContext, mode: str
) -> None:
    outcome = await driver(upstream.url, mode, timeout=0.3).submit(JOB, ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_unreachable", True)


async def test_connection_refused_is_retryable(ctx: ProviderContext) -> None:
    outcome = await driver(f"http://127.0.0.1:{closed_port()}").submit(JOB, ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_unreachable", True)
    assert KEY not in outcome.message


async def test_malformed_json_on_submit(upstream: Upstream, ctx: ProviderContext) -> None:
    outcome = await driver(upstream.url, "malformed").submit(JOB, ctx)
    assert isinstance(outcome, Failed)
    assert (outcome.code, outcome.retryable) == ("upstream_malformed", True)
    assert "not JSON" in outcome.message


async def test_redirects_are_not_followed(upstream: Upstream, ctx: ProviderContext) -> None:
    outcome = await driver(upstream.url, "redirect").submit(JOB, ctx)
    assert isinstance(outcome, HttpFailed) and outcome.status == 302
    assert len(upstream.seen) == 1  # the credential went nowhere else


async def test_the_credential_is_scrubbed_from_failures(
    upstream: Upstream, ctx: ProviderContext
) -> None:
    outcome = await driver(upstream.url, "echo-key").submit(JOB, ctx)
    assert isinstance(outcome, HttpFailed)  # still the translator's type, with its fields
    assert outcome.status == 400
    assert KEY not in outcome.message and "[redacted]" in outcome.message


@pytest.mark.parametrize("mode", ["reset", "malformed", "stall"])
async def test_a_transient_poll_failure_backs_off_and_then_clears(
    upstream: Upstream, ctx: ProviderContext, mode: str
) -> None:
    d = driver(upstream.url, timeout=0.3)
    upstream.mode["poll"] = mode
    state: Mapping[str, Any] | None = {"seen": 1}
    delays = []
    for _ in range(3):
        outcome = await d.poll(JOB, "u1", state, ctx)
        assert isinstance(outcome, Running) and outcome.state is not None
        delays.append(outcome.poll_after)
        state = outcome.state
    assert delays == [1.0, 2.0, 4.0]
    assert state == {"seen": 1, TRANSIENT_KEY: 3}
    upstream.mode["poll"] = "ok"
    outcome = await d.poll(JOB, "u1", state, ctx)
    assert outcome == Running(progress=40, state={"seen": 1})  # the streak is forgotten
    upstream.mode["poll"] = "done"
    assert isinstance(await d.poll(JOB, "u1", {"seen": 1}, ctx), Succeeded)


async def test_poll_of_an_unreachable_upstream_is_running(ctx: ProviderContext) -> None:
    outcome = await driver(f"http://127.0.0.1:{closed_port()}").poll(JOB, "u1", None, ctx)
    assert outcome == Running(poll_after=1.0, state={TRANSIENT_KEY: 1})


async def test_transient_backoff_is_capped(upstream: Upstream, ctx: ProviderContext) -> None:
    upstream.mode["poll"] = "malformed"
    outcome = await driver(upstream.url).poll(JOB, "u1", {TRANSIENT_KEY: 40}, ctx)
    assert isinstance(outcome, Running) and outcome.poll_after == 30.0


async def test_cancel_is_best_effort(upstream: Upstream, ctx: ProviderContext) -> None:
    await driver(upstream.url).cancel(JOB, "u1", ctx)  # the upstream answers 500: no raise
    assert upstream.seen == [{"path": "/cancel/u1"}]
    await driver(upstream.url, "no-cancel").cancel(JOB, "u1", ctx)
    await driver(f"http://127.0.0.1:{closed_port()}").cancel(JOB, "u1", ctx)


def test_response_json_and_headers() -> None:
    response = HttpResponse(status=200, headers={"Retry-After": "2"}, body=b"nope")
    assert response.header("retry-after") == "2" and response.header("x") is None
    with pytest.raises(MalformedResponse, match="HTTP 200 with a body that is not JSON"):
        response.json()
    with pytest.raises(ValueError, match="not both"):
        HttpRequest("POST", "http://x", headers={}, json={}, data=b"")
