"""The dashboard's JSON endpoints run the API's own services as the signed-in account."""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.dashboard.web import csrf, member
from tests.support.server import Server


def _wait(client: httpx.Client, task_id: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task: dict[str, Any] = client.get(f"/dashboard/api/tasks/{task_id}").json()["data"]
        if task["status"] != "IN_PROGRESS":
            return task
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish")


def test_a_playground_run_is_a_task_of_the_account(dash: Server, new_email: str) -> None:
    client = member(dash, new_email)
    headers = {"X-CSRF-Token": csrf(client)}
    model = client.get("/dashboard/api/models/flux-2").json()["data"]
    assert model["model"]["parameters"]["properties"]["prompt"]["type"] == "string"
    assert model["example"]["model"] == "flux-2"
    body = {"model": "flux-2", "prompt": "a lighthouse at dusk", "aspect_ratio": "16:9"}
    started = client.post(
        "/dashboard/api/run",
        json={"path": "/api/v1/images/generations", "body": body, "mode": "live"},
        headers=headers,
    )
    assert started.status_code == 202, started.text
    task = _wait(client, started.json()["data"]["task_id"])
    assert task["status"] == "SUCCESS" and task["consumed_credits"] == 5
    image = client.get(task["response"][0])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    tasks_page = client.get("/tasks").text
    assert task["task_id"] in tasks_page
    detail = client.get(f"/tasks/{task['task_id']}").text
    assert f'<img src="{task["response"][0]}"' in detail
    overview = client.get("/").text
    assert 'data-testid="balance">95<' in overview and "flux-2" in overview


def test_test_mode_spends_test_credits(dash: Server, new_email: str) -> None:
    client = member(dash, new_email)
    headers = {"X-CSRF-Token": csrf(client)}
    started = client.post(
        "/dashboard/api/run",
        json={
            "path": "/api/v1/images/generations",
            "body": {"model": "flux-2", "prompt": "a test run"},
            "mode": "test",
        },
        headers=headers,
    )
    assert started.status_code == 202
    _wait(client, started.json()["data"]["task_id"])
    assert 'data-testid="balance">100<' in client.get("/").text
    assert "9,995" in client.get("/?mode=test").text


def test_errors_have_the_api_shape(dash: Server, new_email: str) -> None:
    client = member(dash, new_email)
    headers = {"X-CSRF-Token": csrf(client)}
    bad = client.post(
        "/dashboard/api/run",
        json={
            "path": "/api/v1/images/generations",
            "body": {"model": "flux-2", "prompt": "a cat", "resolution": "8K"},
        },
        headers=headers,
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "resolution"
    unknown = client.post(
        "/dashboard/api/run", json={"path": "/api/v1/nope", "body": {}}, headers=headers
    )
    assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "path"
    other = member(dash, "other-" + new_email)
    started = client.post(
        "/dashboard/api/run",
        json={"path": "/api/v1/images/generations", "body": {"model": "flux-2", "prompt": "mine"}},
        headers=headers,
    )
    task_id = started.json()["data"]["task_id"]
    assert other.get(f"/dashboard/api/tasks/{task_id}").status_code == 404
    assert other.get(f"/tasks/{task_id}").status_code == 404


def test_chat_runs_without_streaming(dash: Server, new_email: str) -> None:
    client = member(dash, new_email)
    answer = client.post(
        "/dashboard/api/run",
        json={
            "path": "/api/v1/chat/completions",
            "body": {
                "model": "deepseek-chat",
                "messages": [{"role": "user", "content": "Hi"}],
                "stream": True,
            },
        },
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["message"]["content"]


def test_usage_exports_csv(dash: Server, new_email: str) -> None:
    client = member(dash, new_email)
    response = client.get("/usage.csv", params={"kind": "bonus"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("id,created_at,kind,mode,amount")
    assert len(lines) == 2 and ",bonus,live,100," in lines[1] and "sign-up bonus" in lines[1]


def test_a_webhook_delivery_is_replayed(dash: Server, new_email: str) -> None:
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append(self.headers["webhook-id"])
            self.send_response(204)
            self.end_headers()

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        client = member(dash, new_email)
        started = client.post(
            "/dashboard/api/run",
            json={
                "path": "/api/v1/images/generations",
                "body": {
                    "model": "flux-2",
                    "prompt": "a kite",
                    "callback_url": f"http://127.0.0.1:{hook.server_address[1]}/hook",
                },
            },
            headers={"X-CSRF-Token": csrf(client)},
        )
        task_id = started.json()["data"]["task_id"]
        _wait(client, task_id)
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.1)
        page = client.get("/webhooks").text
        assert "task.succeeded" in page and "delivered" in page
        found = re.search(r'action="/webhooks/([^"/]+)/replay"', page)
        assert found is not None
        delivery = found.group(1)
        replay = client.post(f"/webhooks/{delivery}/replay", data={"csrf_token": csrf(client)})
        assert replay.status_code == 303
        while len(received) < 2 and time.monotonic() < deadline + 10:
            time.sleep(0.1)
        assert len(received) == 2 and received[0] == received[1]  # the same webhook-id
        detail = client.get(f"/tasks/{task_id}").text
        assert detail.count("<tr><td>2</td>") == 1  # the second attempt is logged
    finally:
        hook.shutdown()
        hook.server_close()
