"""Helpers for task tests: create, wait, download, and decode what came back; a task row's
values for the submission steps."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
from PIL import Image

from apiinone.db.engine import now_ms
from apiinone.ids import new_id


def task_values(account_id: str, *, price: int = 3) -> dict[str, Any]:
    """A queued sandbox image task's row, as ``submit.create_task`` builds it, for
    ``tasks.submit_sql.insert_tasks_steps``."""
    now = now_ms()
    return {
        "id": new_id("task", 18),
        "account_id": account_id,
        "key_id": None,
        "mode": "live",
        "model": "sandbox-image",
        "variant": None,
        "endpoint": "/v1/sandbox/image",
        "kind": "image",
        "status": "queued",
        "progress": None,
        "price": price,
        "consumed_credits": 0,
        "request": "{}",
        "params": "{}",
        "callback_url": None,
        "provider": "sandbox",
        "channel": None,
        "next_run_at": now,
        "attempts": 0,
        "deadline_at": now + 60_000,
        "created_at": now,
        "updated_at": now,
    }


def create(client: httpx.Client, path: str, body: dict[str, Any], **headers: str) -> str:
    r = client.post(path, json=body, headers=headers)
    assert r.status_code == 202, r.text
    data = r.json()["data"]
    assert r.json()["code"] == 200 and data["status"] == "IN_PROGRESS"
    assert set(data) >= {"task_id", "model", "created_at", "estimated_credits"}
    return str(data["task_id"])


def wait(client: httpx.Client, task_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        task = client.get(f"/api/v1/tasks/{task_id}").json()["data"]
        if task["status"] != "IN_PROGRESS":
            return task  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"task {task_id} still running: {task}"
        time.sleep(0.1)


def run(
    client: httpx.Client, path: str, body: dict[str, Any], timeout: float = 60.0
) -> dict[str, Any]:
    return wait(client, create(client, path, body), timeout)


def download(url: str) -> tuple[bytes, str]:
    r = httpx.get(url, timeout=30)
    assert r.status_code == 200, (url, r.status_code)
    assert int(r.headers["content-length"]) == len(r.content)
    return r.content, r.headers["content-type"]


def image_of(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def upload(client: httpx.Client, name: str, data: bytes, content_type: str) -> dict[str, Any]:
    r = client.post("/api/v1/uploads", files={"file": (name, data, content_type)})
    assert r.status_code == 201, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    image = Image.new("RGB", (width, height), (245, 245, 245))
    for x in range(width // 4, 3 * width // 4):
        for y in range(height // 4, 3 * height // 4):
            image.putpixel((x, y), colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
