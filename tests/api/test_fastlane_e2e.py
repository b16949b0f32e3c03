"""The fast lane (api/fastlane.py) answers as the framework's routes do.

Two real gateways, one with ``APIINONE_FAST_LANE=false``: the same requests — good ones and
every kind of bad one, to every route marked ``@fast_lane`` — must get the same statuses,
the same error types and params, the same headers that matter and answers of the same shape.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from apiinone.api.fastlane import is_marked
from apiinone.api.routes.generate import ASYNC_ENDPOINTS
from apiinone.app import create_app
from apiinone.auth.secrets import generate_key
from apiinone.ids import TASK_ID_MAX_LENGTH
from apiinone.settings import Settings
from tests.support.server import Server, base_env

CHAT = {"model": "gemini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16}
IMAGE = {"model": "hunyuan-image-3", "prompt": "a lighthouse sandbox:delay=0", "size": "128*128"}


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[Server, str]]]:
    servers = []
    for fast in ("true", "false"):
        data_dir: Path = tmp_path_factory.mktemp(f"lane-{fast}")
        admin_key = generate_key()
        env = base_env(
            data_dir,
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_FAST_LANE=fast,
            APIINONE_SIGNUP_BONUS="1000",
            APIINONE_RATE_LIMIT_PER_MINUTE="100000",
            APIINONE_MAX_BODY_BYTES="65536",
        )
        server = Server(data_dir=data_dir, env=env).start()
        with server.client(admin_key) as admin:
            created = admin.post("/api/v1/admin/accounts", json={"email": f"{fast}@example.com"})
            assert created.status_code == 201, created.text
        servers.append((server, created.json()["data"]["key"]["key"]))
    yield servers
    for server, _ in servers:
        server.stop()


def _shape(value: Any) -> Any:
    """The structure of an answer: keys and types, not the ids and times inside."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return type(value).__name__


def _answer(response: httpx.Response) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": response.status_code,
        "type": response.headers.get("content-type", "").split(";")[0],
        "has_request_id": "x-request-id" in response.headers,
        "ratelimit": "x-ratelimit-limit" in response.headers,
        "retry_after": response.headers.get("retry-after"),
    }
    if out["type"] == "application/json":
        body = response.json()
        if "error" in body:
            error = body["error"]
            out["error"] = (error["code"], error["type"], error["param"])
        else:
            out["shape"] = _shape(body)
    return out


def _both(
    pair: list[tuple[Server, str]], method: str, path: str, **kwargs: Any
) -> list[dict[str, Any]]:
    answers = []
    options = {k: v for k, v in kwargs.items() if k != "headers"}
    for server, key in pair:
        headers = dict(kwargs.get("headers") or {})
        auth = headers.pop("_auth", "key")
        if auth == "key":
            headers["Authorization"] = f"Bearer {key}"
        elif auth is not None:
            headers["Authorization"] = auth
        with httpx.Client(base_url=server.url, timeout=30) as client:
            answers.append(_answer(client.request(method, path, headers=headers, **options)))
    return answers


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/v1/chat/completions", {"json": CHAT}),
    ("POST", "/api/v1/chat/completions", {"json": CHAT}),
    ("POST", "/v1/chat/completions", {"json": {**CHAT, "stream": True}}),
    ("POST", "/v1/chat/completions", {"json": CHAT, "headers": {"_auth": None}}),
    ("POST", "/v1/chat/completions", {"json": CHAT, "headers": {"_auth": "Bearer aio_nope"}}),
    ("POST", "/v1/chat/completions", {"json": CHAT, "headers": {"_auth": "Basic abc"}}),
    ("POST", "/v1/chat/completions", {"content": b"{not json"}),
    ("POST", "/v1/chat/completions", {"content": b"[1, 2]"}),
    ("POST", "/v1/chat/completions", {"content": b""}),
    ("POST", "/v1/chat/completions", {"json": {**CHAT, "model": "no-such-model"}}),
    ("POST", "/v1/chat/completions", {"json": {**CHAT, "max_tokens": "many"}}),
    ("POST", "/v1/chat/completions", {"content": b"x" * 70000}),
    ("POST", "/api/v1/images/generations", {"json": IMAGE}),
    ("POST", "/api/v1/images/generations", {"json": {**IMAGE, "size": "7*7"}}),
    ("POST", "/api/v1/images/generations", {"json": {**IMAGE, "colour": "red"}}),
    ("POST", "/api/v1/images/generations", {"json": {**IMAGE, "model": "gpt-5.5"}}),
    ("POST", "/api/v1/images/generations", {"json": IMAGE, "headers": {"_auth": None}}),
    ("POST", "/api/v1/videos/generations", {"json": {"model": "veo-3.1", "prompt": 5}}),
    ("POST", "/api/v1/images/tools/upscale", {"json": {"image": "not a url", "scale": 2}}),
    ("GET", "/api/v1/tasks/task_doesnotexist", {}),
    ("GET", "/api/v1/tasks/" + "x" * TASK_ID_MAX_LENGTH, {}),
    ("GET", "/api/v1/tasks/" + "x" * (TASK_ID_MAX_LENGTH + 1), {}),
    ("GET", "/api/v1/tasks/" + "x" * 65, {}),
    ("GET", "/api/v1/tasks/" + "x" * (TASK_ID_MAX_LENGTH + 1), {"headers": {"_auth": None}}),
    ("GET", "/api/v1/tasks/task_doesnotexist", {"headers": {"_auth": None}}),
    ("PUT", "/v1/chat/completions", {"json": CHAT}),
]


def _marked_routes() -> list[tuple[str, str]]:
    """(method, path template) of every route the gateway marks ``@fast_lane``."""
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(Settings(data_dir=Path(data_dir)))
    return sorted(
        (method, str(route.path))
        for route in iter_route_contexts(app.routes)
        if is_marked(route.endpoint)
        for method in route.methods or ()
    )


MARKED = _marked_routes()


def _requests_to(method: str, template: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Requests any marked route must answer alike: the path parameters filled in with
    values under, at and over their limits, bodies of every wrong kind, no key."""
    if method == "GET":
        values = ["task_doesnotexist", "x" * TASK_ID_MAX_LENGTH, "x" * (TASK_ID_MAX_LENGTH + 1)]
        paths = [re.sub(r"\{[^}]+\}", value, template) for value in values]
        return [(method, path, {}) for path in paths] + [
            (method, paths[0], {"headers": {"_auth": None}})
        ]
    bodies: list[dict[str, Any]] = [
        {"json": {}},
        {"json": {"model": "no-such-model"}},
        {"json": {}, "headers": {"_auth": None}},
        {"content": b"[1]"},
        {"content": b""},
        {"content": b"[1]", "headers": {"_auth": None}},  # which comes first: body or key
    ]
    return [(method, template, body) for body in bodies]


def test_the_hot_routes_are_marked() -> None:
    hot = [("POST", "/v1/chat/completions"), ("POST", "/api/v1/chat/completions")]
    hot += [("POST", "/api/v1" + path) for path in ASYNC_ENDPOINTS]
    hot += [("GET", "/api/v1/tasks/{task_id}")]
    assert sorted(hot) == MARKED


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    CASES + [case for method, path in MARKED for case in _requests_to(method, path)],
    ids=lambda c: str(c)[:40],
)
def test_the_same_answer_with_and_without_the_fast_lane(
    pair: list[tuple[Server, str]], method: str, path: str, kwargs: dict[str, Any]
) -> None:
    fast, routed = _both(pair, method, path, **kwargs)
    assert fast == routed


def test_a_task_id_over_the_limit_is_the_same_400_through_both(
    pair: list[tuple[Server, str]],
) -> None:
    too_long = "task_" + "x" * (TASK_ID_MAX_LENGTH - len("task_") + 1)
    answers = _both(pair, "GET", f"/api/v1/tasks/{too_long}")
    assert answers[0] == answers[1]
    assert answers[0]["status"] == 400
    assert answers[0]["error"] == (400, "invalid_request", "task_id")
    at_limit = _both(pair, "GET", f"/api/v1/tasks/{too_long[:-1]}")
    assert [a["status"] for a in at_limit] == [404, 404]


def test_a_submitted_task_reads_back_the_same_through_both(
    pair: list[tuple[Server, str]],
) -> None:
    shapes = []
    for server, key in pair:
        with server.client(key) as client:
            created = client.post("/api/v1/images/generations", json=IMAGE)
            assert created.status_code == 202, created.text
            task_id = created.json()["data"]["task_id"]
            # Read until it has finished: the worker may move it on between two reads, and
            # a task's answer has more fields once it succeeded.
            deadline = time.monotonic() + 30
            while True:
                got = client.get(f"/api/v1/tasks/{task_id}")
                assert got.status_code == 200
                data = got.json()["data"]
                if (
                    data["phase"] in ("completed", "failed", "canceled")
                    or time.monotonic() > deadline
                ):
                    break
                time.sleep(0.05)
            assert data["task_id"] == task_id and data["model"] == "hunyuan-image-3"
            assert data["phase"] == "completed", data
            shapes.append(_shape(got.json()))
    assert shapes[0] == shapes[1]
