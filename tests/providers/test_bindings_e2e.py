"""Bindings by variant and mode through a real gateway: each request reaches the upstream
endpoint bound to its variant and mode (seen at the fake fal), a variant or mode no channel
binds is a 400 before any hold, failover goes only to channels that bind the same variant
and mode, bound-but-failing is a 503, and the models API says what is live."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.fakes.fal import FakeFal
from tests.support.server import Server, base_env
from tests.support.tasks import png

pytestmark = pytest.mark.slow
KEY = "fal-bind-key-id:fal-bind-key-secret-5e4d3c2b1a09"
VIDEOS = "/api/v1/videos/generations"
VIDEO_BG = "/api/v1/videos/tools/bg-remover"
PRO_I2V = "fal-ai/kling-video/v3/pro/image-to-video"


def _closed_port() -> int:
    """A loopback port nothing listens on: the dead channel's upstream."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[FakeFal, Server, str]]:
    async with FakeFal(key=KEY, queue_polls=1, progress_polls=1) as fake:
        dead = f"http://127.0.0.1:{_closed_port()}"
        providers = tmp_path / "providers.toml"
        providers.write_text(
            f"""
[[channels]]
name = "dead"
adapter = "fal"
base_url = "{dead}"
credential_env = "FAKE_FAL_KEY"
priority = 0
[channels.models.kling-3]
"pro/image-to-video" = "{PRO_I2V}"
"pro/text-to-video" = "fal-ai/kling-video/v3/pro/text-to-video"
[channels.options]
timeout = 5

[[channels]]
name = "fal-kling"
adapter = "fal"
base_url = "{fake.url}"
credential_env = "FAKE_FAL_KEY"
priority = 10
[channels.models.kling-3]
"std/text-to-video" = "fal-ai/kling-video/v3/standard/text-to-video"
"pro/image-to-video" = "{PRO_I2V}"
[channels.options]
poll_interval = 0.2
[channels.options.params]
mode = ""
multi_shots = ""
image = "start_image_url"
sound = "generate_audio"
duration = {{ to = "duration", transform = "str" }}

[[channels]]
name = "fal-media"
adapter = "fal"
base_url = "{fake.url}"
credential_env = "FAKE_FAL_KEY"
priority = 0
[channels.models.wan-2-6]
"text-to-video" = "wan/v2.6/text-to-video"
"image-to-video" = "wan/v2.6/image-to-video"
[channels.models.hailuo-2-3]
"hailuo/2-3-image-to-video-standard/768P" = "fal-ai/minimax/hailuo-2.3/standard/image-to-video"
"hailuo/2-3-image-to-video-pro/1080P" = "fal-ai/minimax/hailuo-2.3/pro/image-to-video"
[channels.models.video-bg-remover]
"remove-background" = "fal-ai/birefnet/v2/video"
[channels.options]
poll_interval = 0.2
[channels.options.params]
image = "image_url"
video = "video_url"
resolution = ""
"""
        )
        admin_key = generate_key()
        env = base_env(
            tmp_path / "gw",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_PROVIDERS_FILE=str(providers),
            APIINONE_RATE_LIMIT_PER_MINUTE="100000",
            APIINONE_CIRCUIT_FAILURES="1",
            APIINONE_CIRCUIT_COOLDOWN_SECONDS="3600",
            FAKE_FAL_KEY=KEY,
        )
        server = Server(data_dir=tmp_path / "gw", env=env)
        await asyncio.to_thread(server.start, 180.0)  # a loaded machine starts slowly
        try:
            yield fake, server, admin_key
        finally:
            await asyncio.to_thread(server.stop)


async def _finished(c: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        task: dict[str, Any] = (await c.get(f"/api/v1/tasks/{task_id}")).json()["data"]
        if task["status"] not in ("IN_PROGRESS", "QUEUED", "PENDING"):
            return task
        await asyncio.sleep(0.1)
    raise AssertionError(f"task {task_id} never finished")


async def _run(c: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await c.post(path, json=body)
    assert r.status_code == 202, r.text
    return await _finished(c, r.json()["data"]["task_id"])


def _calls(fake: FakeFal) -> list[tuple[str, dict[str, Any]]]:
    """Every submission the fake received: the endpoint called and its input."""
    return [(call["endpoint"], call["input"]) for call in fake.calls]


async def _balance(c: httpx.AsyncClient) -> tuple[int, int]:
    data = (await c.get("/api/v1/account")).json()["data"]
    return int(data["balance"]), int(data["held"])


async def test_each_variant_and_mode_reaches_its_own_endpoint(
    setup: tuple[FakeFal, Server, str],
) -> None:
    fake, server, key = setup
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as c:
        account = (await c.get("/api/v1/account")).json()["data"]["account_id"]
        r = await c.post(
            f"/api/v1/admin/accounts/{account}/credits", json={"amount": 5000, "reason": "e2e"}
        )
        assert r.status_code < 300, r.text
        upload = await c.post("/api/v1/uploads", files={"file": ("a.png", png(), "image/png")})
        assert upload.status_code == 201, upload.text
        image = upload.json()["data"]["url"]

        # wan-2-6: the image goes to the image-to-video endpoint, as image_url, without the
        # aspect ratio that endpoint does not take (the fake refuses it, as its fixture says);
        # text-to-video keeps it.
        wan = {"model": "wan-2-6", "prompt": "waves", "aspect_ratio": "9:16"}
        i2v = await _run(c, VIDEOS, {**wan, "image": image})
        assert i2v["status"] == "SUCCESS", i2v
        t2v = await _run(c, VIDEOS, wan)
        assert t2v["status"] == "SUCCESS", t2v
        (i2v_call, t2v_call) = _calls(fake)
        assert i2v_call[0] == "wan/v2.6/image-to-video"
        assert i2v_call[1]["image_url"] == image
        assert "aspect_ratio" not in i2v_call[1]
        assert t2v_call[0] == "wan/v2.6/text-to-video"
        assert "image_url" not in t2v_call[1]
        assert t2v_call[1]["aspect_ratio"] == "9:16"

        # kling-3 pro + image: the dead primary fails, the fallback that binds the same
        # variant and mode serves it at the pro image-to-video endpoint.
        kling = await _run(
            c, VIDEOS, {"model": "kling-3", "prompt": "a fox", "mode": "pro", "image": image}
        )
        assert kling["status"] == "SUCCESS", kling
        assert _calls(fake)[-1][0] == PRO_I2V
        assert _calls(fake)[-1][1]["start_image_url"] == image
        assert "aspect_ratio" not in _calls(fake)[-1][1]

        # hailuo pro at 1080P: the pro endpoint.
        hailuo = {"model": "hailuo/2-3-image-to-video-pro", "prompt": "x", "image": image}
        done = await _run(c, VIDEOS, {**hailuo, "resolution": "1080P"})
        assert done["status"] == "SUCCESS", done
        assert _calls(fake)[-1][0] == "fal-ai/minimax/hailuo-2.3/pro/image-to-video"

        # video-bg-remover without a background: the remover.
        upload = await c.post("/api/v1/uploads", files={"file": ("v.png", png(), "image/png")})
        video = upload.json()["data"]["url"]
        removed = await _run(c, VIDEO_BG, {"video": video})
        assert removed["status"] == "SUCCESS", removed
        assert _calls(fake)[-1][0] == "fal-ai/birefnet/v2/video"
        served = len(fake.calls)

        # Unbound variants and modes: 400 naming model, variant and mode, nothing held.
        before = await _balance(c)
        refused = [
            (
                VIDEOS,
                {"model": "kling-3", "prompt": "a fox", "image": image},
                "'kling-3' variant 'std' in mode 'image-to-video'",
            ),
            (VIDEOS, hailuo, "variant 'hailuo/2-3-image-to-video-pro' in mode '768P'"),
            (
                VIDEO_BG,
                {"video": video, "background_image": image},
                "'video-bg-remover' in mode 'replace-background'",
            ),
        ]
        for path, body, named in refused:
            r = await c.post(path, json=body)
            assert r.status_code == 400, r.text
            error = r.json()["error"]
            assert error["type"] == "invalid_request" and error["param"] == "model"
            assert named in error["message"], error["message"]
            assert "not served on this gateway" in error["message"]
        assert await _balance(c) == before
        assert len(fake.calls) == served  # nothing reached an upstream
        quote = await c.post("/api/v1/quotes", json={"path": VIDEOS, "body": refused[0][1]})
        assert quote.status_code == 400, quote.text  # the quote tells the same
        assert refused[0][2] in quote.json()["error"]["message"]

        # The models API: kling-3's routes and their state.
        model = (await c.get("/api/v1/models/kling-3")).json()["data"]
        routing = model["routing"]
        assert routing["variants"] == ["std", "pro"] and routing["variant_param"] == "mode"
        assert routing["modes"] == ["text-to-video", "image-to-video"]
        states = {route["route"]: route["state"] for route in routing["routes"]}
        assert states["std/image-to-video"] == "unbound"
        assert states["std/text-to-video"] == "live"
        assert states["pro/image-to-video"] == "live"  # the fallback's circuit is closed
        listed = (await c.get("/api/v1/models")).json()["data"]["items"]
        kling_item = next(item for item in listed if item["slug"] == "kling-3")
        assert "std/image-to-video" not in kling_item["live"]
        assert "std/text-to-video" in kling_item["live"]


async def test_bound_only_on_a_failing_channel_is_a_503_and_never_goes_elsewhere(
    setup: tuple[FakeFal, Server, str],
) -> None:
    fake, server, key = setup
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as c:
        account = (await c.get("/api/v1/account")).json()["data"]["account_id"]
        r = await c.post(
            f"/api/v1/admin/accounts/{account}/credits", json={"amount": 5000, "reason": "e2e"}
        )
        assert r.status_code < 300, r.text
        body = {"model": "kling-3", "prompt": "a fox", "mode": "pro"}
        first = await c.post(VIDEOS, json=body)  # pro/text-to-video: the dead channel only
        assert first.status_code == 202, first.text
        deadline = time.monotonic() + 60
        state = ""
        while time.monotonic() < deadline:
            routes = (await c.get("/api/v1/models/kling-3")).json()["data"]["routing"]["routes"]
            state = next(r["state"] for r in routes if r["route"] == "pro/text-to-video")
            if state == "down":
                break
            await asyncio.sleep(0.1)
        assert state == "down"
        before = await _balance(c)
        r = await c.post(VIDEOS, json=body)
        assert r.status_code == 503, r.text
        message = r.json()["error"]["message"]
        assert "'kling-3' variant 'pro' in mode 'text-to-video'" in message
        assert await _balance(c) == before
        # The standard text-to-video endpoint of the live fallback was never used for it.
        assert all(
            call[0] != "fal-ai/kling-video/v3/standard/text-to-video" for call in _calls(fake)
        )
