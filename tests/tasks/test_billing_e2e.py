"""Tasks and money: success captures, failure, cancel and timeout release in full."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import Account
from tests.support.server import Server
from tests.support.tasks import create, run, wait

IMAGES = "/api/v1/images/generations"


def balance(client) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    data = client.get("/api/v1/account").json()["data"]
    return data["balance"], data["held"]


def ledger_for(client, task_id: str) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    items = client.get("/api/v1/usage", params={"task_id": task_id}).json()["data"]["items"]
    return [(r["kind"], r["amount"], r["held_delta"]) for r in reversed(items)]


def test_success_captures_the_price(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account(credits=50)
    with server.client(acc.key) as c:
        task_id = create(
            c, IMAGES, {"model": "flux-2", "prompt": "a bridge", "resolution": "2K", "type": "flex"}
        )
        assert balance(c) == (26, 24)  # held while it runs
        task = wait(c, task_id)
        assert task["status"] == "SUCCESS" and task["consumed_credits"] == 24
        assert balance(c) == (26, 0)
        assert ledger_for(c, task_id) == [("hold", -24, 24), ("capture", 0, -24)]


def test_forced_failure_is_refunded(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account(credits=50)
    with server.client(acc.key) as c:
        task = run(c, IMAGES, {"model": "flux-2", "prompt": "sandbox:fail please"})
        assert task["status"] == "FAILED" and task["phase"] == "failed"
        assert task["consumed_credits"] == 0 and "sandbox:fail" in task["error_message"]
        assert balance(c) == (50, 0)
        assert ledger_for(c, task["task_id"]) == [("hold", -5, 5), ("release", 5, -5)]


def test_cancel_is_refunded_once(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account(credits=50)
    with server.client(acc.key) as c:
        task_id = create(c, IMAGES, {"model": "flux-2", "prompt": "slow sandbox:delay=30"})
        first = c.post(f"/api/v1/tasks/{task_id}/cancel")
        second = c.post(f"/api/v1/tasks/{task_id}/cancel")
        assert first.status_code == second.status_code == 200
        assert first.json()["data"]["status"] == "CANCELED"
        assert balance(c) == (50, 0)
        assert ledger_for(c, task_id) == [("hold", -5, 5), ("release", 5, -5)]
        done = run(c, IMAGES, {"model": "flux-2", "prompt": "fast"})
        r = c.post(f"/api/v1/tasks/{done['task_id']}/cancel")
        assert r.status_code == 400  # already finished


def test_timeout_fails_and_refunds(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account(credits=50)
    with server.client(acc.key) as c:  # cogview-4 times out after 2 s on this server
        task = run(c, IMAGES, {"model": "cogview-4", "prompt": "sandbox:timeout"}, timeout=30)
        assert task["status"] == "FAILED" and task["error_code"] == "timeout"
        assert balance(c) == (50, 0)


def test_no_credits_is_402_and_no_task(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=3)
    with server.client(acc.key) as c:
        r = c.post(IMAGES, json={"model": "flux-2", "prompt": "a bridge"})
        assert r.status_code == 402 and r.json()["error"]["type"] == "insufficient_credits"
        assert c.get("/api/v1/tasks").json()["data"]["items"] == []
        assert balance(c) == (3, 0)


def test_test_keys_spend_test_credits(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account(credits=0)
    with server.client(acc.key) as c:
        test_key = c.post("/api/v1/keys", json={"test": True}).json()["data"]["key"]
    with server.client(test_key) as t:
        before = t.get("/api/v1/account").json()["data"]
        task = run(t, IMAGES, {"model": "flux-2", "prompt": "test mode"})
        after = t.get("/api/v1/account").json()["data"]
    assert task["status"] == "SUCCESS"
    assert after["test"]["balance"] == before["test"]["balance"] - 5
    assert after["live"]["balance"] == 0
