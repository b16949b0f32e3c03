"""The chat request log: every chat request is a row its account sees (key, model, tokens,
latency, time to first token, status, credits), through the API and the dashboard, with
filters and CSV; the overview's charts filter by key; old rows are purged."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.dashboard.web import login_with_key
from tests.support.server import Server, base_env

MODEL = "deepseek-chat"


def _account(dash: Server, email: str) -> tuple[str, str]:
    admin = {"Authorization": f"Bearer {dash.admin_key}"}  # type: ignore[attr-defined]
    created = httpx.post(
        f"{dash.url}/api/v1/admin/accounts", json={"email": email}, headers=admin, timeout=30
    )
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    httpx.post(
        f"{dash.url}/api/v1/admin/accounts/{data['id']}/credits",
        json={"amount": 100_000, "reason": "chat", "mode": "live"},
        headers=admin,
        timeout=30,
    ).raise_for_status()
    return data["key"]["id"], data["key"]["key"]


def _client(dash: Server, key: str) -> httpx.Client:
    return httpx.Client(base_url=dash.url, headers={"Authorization": f"Bearer {key}"}, timeout=60)


def _chat(content: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": content}], **extra}


def _rows(api: httpx.Client, expected: int, **params: Any) -> list[dict[str, Any]]:
    """The log's rows, once ``expected`` of them are written (they land within seconds)."""
    deadline = time.monotonic() + 30
    while True:
        response = api.get("/api/v1/requests", params={"limit": 200, **params})
        assert response.status_code == 200, response.text
        items = list(response.json()["data"]["items"])
        if len(items) >= expected or time.monotonic() > deadline:
            return items
        time.sleep(0.3)


def _stream(api: httpx.Client, body: dict[str, Any]) -> str:
    with api.stream("POST", "/api/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        return "".join(response.iter_text())


def test_every_chat_request_is_a_row(dash: Server, new_email: str) -> None:
    first_id, first_key = _account(dash, new_email)
    api = _client(dash, first_key)
    second = api.post("/api/v1/keys", json={"name": "second"})
    assert second.status_code == 201
    second_id, second_key = second.json()["data"]["id"], second.json()["data"]["key"]
    other = _client(dash, second_key)

    plain = api.post("/api/v1/chat/completions", json=_chat("Hello there"))
    assert plain.status_code == 200
    streamed = _stream(
        other, _chat("Tell me more", stream=True, stream_options={"include_usage": True})
    )
    assert "[DONE]" in streamed
    failed = api.post("/api/v1/chat/completions", json=_chat("sandbox:fail"))
    assert failed.status_code == 502
    cut = _stream(other, _chat("a long answer sandbox:cut", stream=True))
    assert '"error"' in cut

    rows = _rows(api, 4)
    assert len(rows) == 4
    by_status: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_status.setdefault(row["status"], []).append(row)
    ok_plain = next(r for r in rows if r["status"] == "succeeded" and not r["stream"])
    usage = plain.json()["usage"]
    assert ok_plain["key_id"] == first_id and ok_plain["model"] == MODEL
    assert ok_plain["prompt_tokens"] == usage["prompt_tokens"]
    assert ok_plain["completion_tokens"] == usage["completion_tokens"]
    assert ok_plain["credits"] == plain.json()["credits_consumed"] > 0
    assert ok_plain["first_token_ms"] is None and ok_plain["latency_ms"] >= 0
    assert ok_plain["id"] == plain.json()["id"]

    ok_stream = next(r for r in rows if r["status"] == "succeeded" and r["stream"])
    assert ok_stream["key_id"] == second_id
    assert ok_stream["first_token_ms"] is not None
    assert 0 <= ok_stream["first_token_ms"] <= ok_stream["latency_ms"]
    assert ok_stream["completion_tokens"] and not ok_stream["tokens_estimated"]
    failures = by_status["failed"]
    assert len(failures) == 2
    refused = next(r for r in failures if not r["stream"])
    assert refused["credits"] == 0 and "sandbox:fail" in refused["error"]
    mid_stream = next(r for r in failures if r["stream"])
    assert "sandbox:cut" in mid_stream["error"] and mid_stream["key_id"] == second_id

    # Credits in the log are the credits the ledger captured for these requests.
    ledger = api.get("/api/v1/usage", params={"kind": "capture", "limit": 200}).json()["data"]
    captured = {e["task_id"]: -e["held_delta"] for e in ledger["items"] if e.get("task_id")}
    for row in rows:
        assert captured.get(row["id"], 0) == row["credits"], row

    only_second = _rows(api, 2, key_id=second_id)
    assert {r["key_id"] for r in only_second} == {second_id} and len(only_second) == 2
    assert len(_rows(api, 2, status="failed")) == 2
    assert _rows(api, 0, model="gemini") == []
    exported = api.get("/api/v1/requests", params={"format": "csv", "key_id": first_id})
    assert exported.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(lines) == 2 and {line["key_id"] for line in lines} == {first_id}

    web = login_with_key(dash.url, first_key)
    html = web.get("/requests").text
    assert html.count('data-status="') == 4 and html.count('data-status="failed"') == 2
    mine = web.get("/requests", params={"key": second_id}).text
    assert mine.count('data-status="') == 2
    web_csv = web.get("/requests.csv", params={"status": "succeeded"})
    assert len(list(csv.DictReader(io.StringIO(web_csv.text)))) == 2

    # The overview's spend charts follow the chosen key.
    spent_second = sum(r["credits"] for r in rows if r["key_id"] == second_id)
    page = web.get("/", params={"key": second_id}).text
    assert "one key" in page
    assert f"{spent_second:,}" in page


def test_who_may_read_the_log(dash: Server, new_email: str) -> None:
    _, key = _account(dash, new_email)
    api = _client(dash, key)
    narrow = api.post("/api/v1/keys", json={"name": "narrow", "allowed_models": [MODEL]})
    narrow_key = narrow.json()["data"]["key"]
    refused = _client(dash, narrow_key).get("/api/v1/requests")
    assert refused.status_code == 403 and refused.json()["error"]["param"] == "mode"
    test_key = api.post("/api/v1/keys", json={"name": "t", "test": True}).json()["data"]["key"]
    tester = _client(dash, test_key)
    assert tester.post("/api/v1/chat/completions", json=_chat("hi")).status_code == 200
    test_rows = _rows(tester, 1)
    assert len(test_rows) == 1 and test_rows[0]["mode"] == "test"
    assert _rows(api, 0) == []  # the live log has none of the test key's requests
    bad = api.get("/api/v1/requests", params={"status": "nope"})
    assert bad.status_code == 400


@pytest.fixture
def short_retention(tmp_path: Path) -> Iterator[Server]:
    admin_key = generate_key()
    env = base_env(
        tmp_path / "data",
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_REQUEST_LOG_RETENTION_DAYS="0.00005",  # 4.32 s
        APIINONE_SANDBOX_SPEED="20",
    )
    server = Server(data_dir=tmp_path / "data", env=env).start()
    server.admin_key = admin_key  # type: ignore[attr-defined]
    yield server
    server.stop()


def test_rows_older_than_the_retention_are_purged(short_retention: Server) -> None:
    _, key = _account(short_retention, "retention@example.com")
    api = _client(short_retention, key)
    assert api.post("/api/v1/chat/completions", json=_chat("hi")).status_code == 200
    assert len(_rows(api, 1)) == 1
    deadline = time.monotonic() + 30
    while _rows(api, 0) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _rows(api, 0) == []
