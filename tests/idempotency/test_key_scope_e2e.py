"""An Idempotency-Key record belongs to the API key that made it, checked after authorization.

- A restricted key (allow-list and spend cap), a test key and an expired key of the same
  account, sending the owner's request with the owner's Idempotency-Key, each get their own
  answer (403, 403, 401): never the owner's new key, never ``Idempotent-Replayed``.
- Two keys of one account with the same Idempotency-Key make two tasks (Stripe scopes its
  keys the same way).
- A key whose powers changed since its request ran gets 409, not the old answer.
- A dashboard session (cookie) ignores the header: two playground runs, two tasks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import Account
from tests.dashboard.web import csrf, member
from tests.support.server import Server

KEYS = "/api/v1/keys"
IMAGES = "/api/v1/images/generations"


def _new_key(client: httpx.Client, **fields: object) -> str:
    response = client.post(KEYS, json=fields)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["key"])


def _wait_expired(server: Server, key: str) -> None:
    with server.client(key) as client:
        for _ in range(100):
            if client.get("/api/v1/account").status_code == 401:
                return
            time.sleep(0.1)
    raise AssertionError("the key never expired")


def test_other_keys_never_get_the_owners_answer(
    server: Server, make_account: Callable[..., Account]
) -> None:
    owner = make_account()
    soon = datetime.now(UTC) + timedelta(seconds=1)
    with server.client(owner.key) as c:
        restricted = _new_key(c, name="restricted", allowed_models=["flux-2"], spend_cap=10)
        test_key = _new_key(c, name="test", test=True)
        expiring = _new_key(c, name="expiring", expires_at=soon.isoformat())
        first = c.post(KEYS, json={"name": "ci"}, headers={"Idempotency-Key": "create-ci-key"})
    assert first.status_code == 201 and first.json()["data"]["key"].startswith("aio_")
    _wait_expired(server, expiring)

    for key, status in ((restricted, 403), (test_key, 403), (expiring, 401)):
        with server.client(key) as other:
            r = other.post(KEYS, json={"name": "ci"}, headers={"Idempotency-Key": "create-ci-key"})
        assert r.status_code == status, r.text
        assert "idempotent-replayed" not in r.headers
        assert "aio_" not in r.text and first.json()["data"]["id"] not in r.text

    with server.client(owner.key) as c:
        again = c.post(KEYS, json={"name": "ci"}, headers={"Idempotency-Key": "create-ci-key"})
        names = [k["name"] for k in c.get(KEYS).json()["data"]["items"]]
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert names.count("ci") == 1


def test_two_keys_of_one_account_make_two_tasks(
    server: Server, make_account: Callable[..., Account]
) -> None:
    owner = make_account(credits=100)
    body = {"model": "flux-2", "prompt": "one key each"}
    with server.client(owner.key) as c:
        second_key = _new_key(c, name="second")
        a = c.post(IMAGES, json=body, headers={"Idempotency-Key": "shared"})
    with server.client(second_key) as c2:
        b = c2.post(IMAGES, json=body, headers={"Idempotency-Key": "shared"})
        tasks = c2.get("/api/v1/tasks").json()["data"]["items"]
    assert a.status_code == b.status_code == 202
    assert "idempotent-replayed" not in b.headers
    assert a.json()["data"]["task_id"] != b.json()["data"]["task_id"]
    assert len(tasks) == 2


def test_a_key_whose_powers_changed_gets_no_replay(
    server: Server, make_account: Callable[..., Account]
) -> None:
    owner = make_account(credits=100)
    body = {"model": "flux-2", "prompt": "before the allow-list"}
    with server.client(owner.key) as c:
        created = c.post(KEYS, json={"name": "worker"}).json()["data"]
    with server.client(created["key"]) as w:
        first = w.post(IMAGES, json=body, headers={"Idempotency-Key": "powers"})
        assert first.status_code == 202
        with server.client(owner.key) as c:
            patched = c.patch(f"{KEYS}/{created['id']}", json={"allowed_models": ["ideogram-v3"]})
            assert patched.status_code == 200, patched.text
        for _ in range(50):  # the key cache forgets the old powers within its TTL
            again = w.post(IMAGES, json=body, headers={"Idempotency-Key": "powers"})
            if again.status_code != 202:
                break
            time.sleep(0.1)
    assert again.status_code == 409 and again.json()["error"]["type"] == "idempotency_conflict"
    assert "idempotent-replayed" not in again.headers


def test_a_dashboard_session_ignores_the_header(server: Server) -> None:
    email = f"idem-dash-{time.monotonic_ns()}@example.com"
    browser = member(server, email)
    run = {
        "path": IMAGES,
        "body": {"model": "flux-2", "prompt": "a playground run"},
        "mode": "live",
    }
    try:
        headers = {"X-CSRF-Token": csrf(browser), "Idempotency-Key": "dash-1"}
        a = browser.post("/dashboard/api/run", json=run, headers=headers)
        b = browser.post("/dashboard/api/run", json=run, headers=headers)
    finally:
        browser.close()
    assert a.status_code == b.status_code == 202, (a.text, b.text)
    assert "idempotent-replayed" not in b.headers
    assert a.json()["data"]["task_id"] != b.json()["data"]["task_id"]
