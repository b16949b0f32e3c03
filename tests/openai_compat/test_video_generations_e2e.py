"""``/v1/video/generations`` (the OneKeyModel shape of spec/003) with plain HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import Account
from tests.openai_compat.support import is_mp4
from tests.support.server import Server
from tests.support.tasks import download


def poll(c: httpx.Client, task_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = c.get(f"/v1/video/generations/{task_id}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] not in ("queued", "in_progress"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


def submit_and_poll(
    server: Server, key: str, body: dict[str, Any], timeout: float = 60.0
) -> dict[str, Any]:
    with server.client(key) as c:
        r = c.post("/v1/video/generations", json=body)
        assert r.status_code == 200, r.text
        created = r.json()
        assert set(created) == {"id", "status", "created_at"}
        assert created["status"] in ("queued", "in_progress")
        assert isinstance(created["created_at"], int)
        done = poll(c, created["id"], timeout)
    assert done["id"] == created["id"] and done["created_at"] == created["created_at"]
    return done


def test_submit_and_poll_until_succeeded(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    body = {"model": "kling-3", "prompt": "A futuristic city, flying cars", "duration": 5}
    done = submit_and_poll(server, acc.key, body)
    assert done["status"] == "succeeded" and "error" not in done
    assert done["video_url"].startswith(server.url + "/files/")
    assert is_mp4(download(done["video_url"])[0])


def test_spec_003_example(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account(credits=1000)
    body = {
        "model": "wan2.7-t2v",
        "prompt": "A futuristic city in cyberpunk style, flying cars",
        "resolution": "1280*720",
    }
    done = submit_and_poll(server, acc.key, body, timeout=15.0)
    assert done["status"] == "succeeded"
    assert is_mp4(download(done["video_url"])[0])


def test_failure_and_errors(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account(credits=1000)
    with server.client(acc.key) as c:
        r = c.post(
            "/v1/video/generations",
            json={"model": "kling-3", "prompt": "sandbox:fail please"},
        )
        done = poll(c, r.json()["id"])
        assert done["status"] == "failed" and done["error"]["message"]
        assert "video_url" not in done
        bad = c.post("/v1/video/generations", json={"model": "kling-3", "duration": 99})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "duration"
        assert c.get("/v1/video/generations/task_nope").status_code == 404
    other = make_account()
    with server.client(other.key) as c:
        assert c.get(f"/v1/video/generations/{r.json()['id']}").status_code == 404
