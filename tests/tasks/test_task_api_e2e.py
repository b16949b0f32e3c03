"""The task API: object shape, listing with cursors and filters, events, isolation."""

from __future__ import annotations

from collections.abc import Callable

import orjson

from tests.conftest import Account
from tests.support.server import Server
from tests.support.tasks import create, run, wait

IMAGES = "/api/v1/images/generations"
FIELDS = {
    "task_id",
    "model",
    "status",
    "phase",
    "progress",
    "consumed_credits",
    "error_message",
    "created_at",
    "updated_at",
    "completed_at",
    "request",
    "response",
}


def test_task_object_shape_and_result_urls(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        task = run(
            c, IMAGES, {"model": "flux-2", "prompt": "a serene garden", "aspect_ratio": "1:1"}
        )
    assert set(task) >= FIELDS
    assert task["request"] == {
        "model": "flux-2",
        "prompt": "a serene garden",
        "aspect_ratio": "1:1",
    }
    assert task["created_at"].endswith("Z") and task["completed_at"].endswith("Z")
    url = task["response"][0]
    assert url.startswith(server.url + "/files/")
    assert len(url.split("/files/")[1].split("/")[0]) >= 32  # unguessable


def test_list_paginates_and_filters(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account(credits=1000)
    with server.client(acc.key) as c:
        ids = [create(c, IMAGES, {"model": "flux-2", "prompt": f"picture {i}"}) for i in range(5)]
        failed = create(c, IMAGES, {"model": "imagen-4", "prompt": "sandbox:fail"})
        for task_id in [*ids, failed]:
            wait(c, task_id)
        seen, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = c.get("/api/v1/tasks", params=params).json()["data"]
            seen += [t["task_id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == [failed, *reversed(ids)]
        only_failed = c.get("/api/v1/tasks", params={"status": "FAILED"}).json()["data"]["items"]
        assert [t["task_id"] for t in only_failed] == [failed]
        flux = c.get("/api/v1/tasks", params={"model": "flux-2"}).json()["data"]["items"]
        assert len(flux) == 5
        assert c.get("/api/v1/tasks", params={"cursor": "@@@"}).status_code == 400


def test_events_stream_until_terminal(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        task_id = create(c, IMAGES, {"model": "flux-2", "prompt": "stream sandbox:delay=1"})
        events = []
        with c.stream("GET", f"/api/v1/tasks/{task_id}/events") as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            assert r.headers["x-accel-buffering"] == "no"
            for line in r.iter_lines():
                if line.startswith("data: "):
                    events.append(orjson.loads(line[6:]))
    assert events[-1]["status"] == "SUCCESS"
    assert events[0]["status"] == "IN_PROGRESS"
    phases = [e["phase"] for e in events]
    assert phases[-1] == "completed" and len(events) >= 2


def test_other_accounts_see_nothing(server: Server, make_account: Callable[..., Account]) -> None:
    owner, stranger = make_account(), make_account()
    with server.client(owner.key) as c:
        task = run(
            c, "/api/v1/audio/music", {"model": "suno", "gpt_description_prompt": "a lullaby"}
        )
    task_id = task["task_id"]
    with server.client(stranger.key) as s:
        for method, path in [
            ("GET", f"/api/v1/tasks/{task_id}"),
            ("POST", f"/api/v1/tasks/{task_id}/cancel"),
            ("GET", f"/api/v1/tasks/{task_id}/events"),
            ("GET", f"/api/v1/audio/music/feed?task_id={task_id}"),
            ("GET", f"/api/v1/tasks/{task_id}/webhooks"),
        ]:
            r = s.request(method, path)
            assert r.status_code == 404, (path, r.status_code)
        r = s.post(
            "/api/v1/audio/music/extend", json={"origin_task_id": task_id, "extend_audio_index": 0}
        )
        assert r.status_code == 404
        assert s.get("/api/v1/tasks").json()["data"]["items"] == []
    with server.client() as anon:
        assert anon.get(f"/api/v1/tasks/{task_id}").status_code == 401


def test_validation_errors_before_anything_is_held(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        r = c.post(IMAGES, json={"model": "flux-2", "prompt": "ab"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "prompt"
        r = c.post(
            "/api/v1/videos/generations", json={"model": "kling-3", "prompt": "x", "duration": 99}
        )
        assert r.status_code == 400 and r.json()["error"]["param"] == "duration"
        r = c.post(IMAGES, json={"model": "kling-3", "prompt": "wrong endpoint"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "model"
        r = c.post("/api/v1/images/tools/remove-bg", json={"image": "ftp://example.com/a.png"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "image"
        assert c.get("/api/v1/account").json()["data"]["held"] == 0


def test_private_urls_are_refused(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        for url in (
            "http://10.0.0.7/a.png",
            "http://169.254.169.254/latest",
            "http://localhost:9/a.png",
            "http://[::1]/a.png",
        ):
            r = c.post("/api/v1/images/tools/remove-bg", json={"image": url})
            assert r.status_code == 400 and r.json()["error"]["param"] == "image", (url, r.text)
            r = c.post(IMAGES, json={"model": "flux-2", "prompt": "a cat", "callback_url": url})
            assert r.status_code == 400 and r.json()["error"]["param"] == "callback_url", url
