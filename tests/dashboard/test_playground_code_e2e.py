"""The playground's code panel runs: each generated curl (bash) and each generated Python
script (the official openai and anthropic SDKs) answers 200 with text from a real gateway,
on all three chat surfaces; the snippets endpoint refuses bad bodies with 4xx."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Account
from tests.dashboard.web import csrf, login_with_key
from tests.support.server import Server

CONVERSATION = {
    "model": "gemini",
    "messages": [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Say hello in three languages, it's a test."},
    ],
    "max_tokens": 200,
}


# 40 levels: within the gateway's JSON depth limit (64), beyond the code panel's (24).
DEEP: Any = "deep"
for _ in range(37):
    DEEP = [DEEP]


@pytest.fixture
def account(make_account: Callable[..., Account]) -> Account:
    return make_account(credits=10_000)


@pytest.fixture
def web(server: Server, account: Account) -> Iterator[httpx.Client]:
    client = login_with_key(server.url, account.key)
    client.headers["X-CSRF-Token"] = csrf(client)
    yield client
    client.close()


def _snippets(web: httpx.Client, model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    answer = web.post("/dashboard/api/snippets", json={"model": model, "body": body})
    assert answer.status_code == 200, answer.text
    made: list[dict[str, Any]] = answer.json()["data"]["snippets"]
    return made


def _env(key: str) -> dict[str, str]:
    return {**os.environ, "AIO_KEY": key, "NO_PROXY": "127.0.0.1,localhost"}


def _text(surface: str, answer: dict[str, Any]) -> str:
    if surface == "chat":
        return str(answer["choices"][0]["message"]["content"])
    if surface == "responses":
        items = [item for item in answer["output"] if item["type"] == "message"]
        return "".join(part["text"] for part in items[0]["content"])
    return "".join(block["text"] for block in answer["content"] if block["type"] == "text")


def test_each_surface_runs_as_curl_and_as_the_sdk(
    web: httpx.Client, server: Server, account: Account
) -> None:
    made = _snippets(web, "gemini", CONVERSATION)
    assert [s["endpoint"] for s in made] == [
        "/v1/chat/completions",
        "/v1/responses",
        "/v1/messages",
    ]
    for snippet in made:
        assert snippet["curl"].startswith(f"curl {server.url}{snippet['endpoint']} ")
        # The curl as shown, with its status written after the body.
        ran = subprocess.run(
            ["bash", "-c", snippet["curl"] + " -sS -w '\\n%{http_code}'"],
            env=_env(account.key),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ran.returncode == 0, ran.stderr
        body, _, status = ran.stdout.rpartition("\n")
        assert status == "200", (snippet["surface"], ran.stdout)
        answer = json.loads(body)
        assert _text(snippet["surface"], answer).strip(), (snippet["surface"], answer)
        if snippet["surface"] == "responses":
            assert answer["instructions"] == "Answer briefly."
            assert answer["max_output_tokens"] == 200
        # The Python script as shown, with the venv's interpreter and the official SDK.
        script = subprocess.run(
            [sys.executable, "-c", snippet["python"]],
            env=_env(account.key),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert script.returncode == 0, (snippet["surface"], script.stderr)
        assert script.stdout.strip(), (snippet["surface"], script.stdout)


def test_a_media_model_has_one_curl_at_its_endpoint(web: httpx.Client) -> None:
    (only,) = _snippets(web, "flux-2", {"model": "flux-2", "prompt": "a fox"})
    assert only["endpoint"] == "/api/v1/images/generations"
    assert only["python"] is None and '"prompt": "a fox"' in only["curl"]


@pytest.mark.parametrize(
    ("sent", "status", "param"),
    [
        ({"model": "no-such-model", "body": {}}, 404, "model"),
        ({"model": 7, "body": {}}, 400, "model"),
        ({"body": {}}, 400, "model"),
        ({"model": "gemini", "body": ["messages"]}, 400, "body"),
        ({"model": "gemini"}, 400, "body"),
        ({"model": "gemini", "body": {"messages": [{"content": DEEP}]}}, 400, "body"),
    ],
)
def test_bad_requests_are_refused(
    web: httpx.Client, sent: dict[str, Any], status: int, param: str
) -> None:
    answer = web.post("/dashboard/api/snippets", json=sent)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["param"] == param


def test_odd_conversations_still_give_snippets(web: httpx.Client) -> None:
    body = {"model": "gemini", "messages": [3, {"role": "user", "content": {"a": 1}}], "stop": 9}
    assert len(_snippets(web, "gemini", body)) == 3


def test_it_needs_a_session_and_the_csrf_token(server: Server, web: httpx.Client) -> None:
    sent = {"model": "gemini", "body": CONVERSATION}
    anonymous = httpx.post(f"{server.url}/dashboard/api/snippets", json=sent, timeout=30)
    assert anonymous.status_code == 401, anonymous.text
    tokenless = web.post(
        "/dashboard/api/snippets", json=sent, headers={"X-CSRF-Token": "not-the-token"}
    )
    assert tokenless.status_code == 403, tokenless.text
