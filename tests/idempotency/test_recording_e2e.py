"""What an Idempotency-Key record keeps: answers of requests that ran, nothing else.

- A 400 (the body failed validation) is not kept: the same key with the body fixed runs.
- A 402 is not kept: after a top-up the same key runs.
- A 404 met while running (an unknown task to cancel) is kept and replayed.
- A 429 is not kept, and the limiter shields the database: of 30 requests with fresh keys
  over a limit of 5, the 25 refused wrote no record.
- A request with an Idempotency-Key is counted against its rate limit once, on the fast
  lane as on the framework's routes.
- A replayed 2xx keeps the headers a client needs (Content-Type, Location-like headers,
  X-Credits-Consumed), gets the retry's own request id and rate-limit headers, and names
  the request that ran in Original-Request.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import Account
from tests.idempotency.support import records_of
from tests.support.clock import start_inside_one_window
from tests.support.server import Server

IMAGES = "/api/v1/images/generations"
QUOTES = "/api/v1/quotes"


def test_a_validation_failure_is_not_kept(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=100)
    with server.client(acc.key) as c:
        bad = c.post(IMAGES, json={"model": "flux-2"}, headers={"Idempotency-Key": "fix-me"})
        assert bad.status_code == 400
        fixed = c.post(
            IMAGES,
            json={"model": "flux-2", "prompt": "fixed"},
            headers={"Idempotency-Key": "fix-me"},
        )
    assert fixed.status_code == 202, fixed.text
    assert "idempotent-replayed" not in fixed.headers


def test_a_402_is_not_kept(
    server: Server, admin: object, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=0)
    body = {"model": "flux-2", "prompt": "later"}
    with server.client(acc.key) as c:
        poor = c.post(IMAGES, json=body, headers={"Idempotency-Key": "top-up-first"})
        assert poor.status_code == 402
        topped = admin.post(  # type: ignore[attr-defined]
            f"/api/v1/admin/accounts/{acc.id}/credits", json={"amount": 50, "reason": "top-up"}
        )
        assert topped.status_code == 200
        paid = c.post(IMAGES, json=body, headers={"Idempotency-Key": "top-up-first"})
    assert paid.status_code == 202, paid.text
    assert "idempotent-replayed" not in paid.headers


def test_a_404_met_while_running_is_kept(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    path = "/api/v1/tasks/task_doesnotexist/cancel"
    with server.client(acc.key) as c:
        first = c.post(path, headers={"Idempotency-Key": "cancel-1"})
        second = c.post(path, headers={"Idempotency-Key": "cancel-1"})
    assert first.status_code == second.status_code == 404
    assert second.headers["idempotent-replayed"] == "true"
    assert first.json() == second.json()


async def test_429s_are_not_kept_and_write_nothing(
    server: Server, make_account: Callable[..., Account]
) -> None:
    owner = make_account()
    with server.client(owner.key) as c:
        limited = c.post("/api/v1/keys", json={"name": "slow", "rate_limit_per_minute": 5})
        key = limited.json()["data"]["key"]
    body = {"path": IMAGES, "body": {"model": "flux-2", "prompt": "how much"}}
    statuses = []
    start_inside_one_window()
    with server.client(key) as c:
        for i in range(30):
            r = c.post(QUOTES, json=body, headers={"Idempotency-Key": f"fresh-{i}"})
            statuses.append(r.status_code)
            if r.status_code == 429:
                assert "idempotent-replayed" not in r.headers
                assert r.headers["retry-after"]
    assert statuses.count(429) == 25 and statuses.count(200) == 5, statuses
    records = await records_of(server.data_dir, owner.id)
    assert len(records) == 5
    assert {r["response_status"] for r in records} == {200}


def test_one_request_is_one_rate_limit_hit_on_either_path(
    server: Server, make_account: Callable[..., Account]
) -> None:
    owner = make_account(credits=1000)
    with server.client(owner.key) as c:
        limited = c.post("/api/v1/keys", json={"name": "counted", "rate_limit_per_minute": 40})
        key = limited.json()["data"]["key"]
    task = {"model": "flux-2", "prompt": "counted once"}
    quote = {"path": IMAGES, "body": task}
    remaining = []
    start_inside_one_window()
    with server.client(key) as c:
        for i in range(6):
            # The fast lane (task submission), then a framework route (a quote).
            path, body = (IMAGES, task) if i % 2 == 0 else (QUOTES, quote)
            r = c.post(path, json=body, headers={"Idempotency-Key": f"count-{i}"})
            assert r.status_code in (200, 202), r.text
            remaining.append(int(r.headers["x-ratelimit-remaining"]))
        plain = c.post(QUOTES, json=quote)
    assert remaining == [39, 38, 37, 36, 35, 34]
    assert int(plain.headers["x-ratelimit-remaining"]) == 33


def test_a_replay_keeps_the_answers_headers(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    body = {"model": "gemini", "messages": [{"role": "user", "content": "headers please"}]}
    with server.client(acc.key) as c:
        first = c.post("/v1/chat/completions", json=body, headers={"Idempotency-Key": "hdr"})
        second = c.post("/v1/chat/completions", json=body, headers={"Idempotency-Key": "hdr"})
        holds = c.get("/api/v1/usage", params={"kind": "hold"}).json()["data"]["items"]
    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["x-credits-consumed"] == first.headers["x-credits-consumed"]
    assert second.headers["original-request"] == first.headers["x-request-id"]
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    assert int(second.headers["x-ratelimit-remaining"]) < int(
        first.headers["x-ratelimit-remaining"]
    )
    assert len(holds) == 1
