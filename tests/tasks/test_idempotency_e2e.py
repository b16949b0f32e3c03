"""Idempotency-Key: replays, conflicts, and 20 concurrent duplicates making one task."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from tests.conftest import Account
from tests.support.server import Server

IMAGES = "/api/v1/images/generations"


def test_same_key_same_body_replays(server: Server, make_account: Callable[..., Account]) -> None:
    acc = make_account(credits=100)
    body = {"model": "flux-2", "prompt": "a tower"}
    with server.client(acc.key) as c:
        first = c.post(IMAGES, json=body, headers={"Idempotency-Key": "order-1"})
        second = c.post(IMAGES, json=body, headers={"Idempotency-Key": "order-1"})
        assert first.status_code == second.status_code == 202
        assert first.json() == second.json()
        assert second.headers.get("idempotent-replayed") == "true"
        other = c.post(
            IMAGES, json={**body, "prompt": "another tower"}, headers={"Idempotency-Key": "order-1"}
        )
        assert other.status_code == 409 and other.json()["error"]["type"] == "idempotency_conflict"
        tasks = c.get("/api/v1/tasks").json()["data"]["items"]
        assert len(tasks) == 1
        assert c.get("/api/v1/account").json()["data"]["balance"] in (95,)  # one hold, not two


def test_validation_errors_are_answered_again_not_replayed(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=100)
    with server.client(acc.key) as c:
        bad = {"model": "flux-2", "prompt": "x"}
        a = c.post(IMAGES, json=bad, headers={"Idempotency-Key": "bad-1"})
        b = c.post(IMAGES, json=bad, headers={"Idempotency-Key": "bad-1"})
        assert a.status_code == b.status_code == 400 and a.json() == b.json()
        assert "idempotent-replayed" not in b.headers


def test_keys_are_per_account(server: Server, make_account: Callable[..., Account]) -> None:
    a, b = make_account(), make_account()
    body = {"model": "flux-2", "prompt": "shared key"}
    with server.client(a.key) as ca, server.client(b.key) as cb:
        ra = ca.post(IMAGES, json=body, headers={"Idempotency-Key": "same"})
        rb = cb.post(IMAGES, json=body, headers={"Idempotency-Key": "same"})
    assert ra.status_code == rb.status_code == 202
    assert ra.json()["data"]["task_id"] != rb.json()["data"]["task_id"]


async def test_twenty_concurrent_duplicates_make_one_task(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=100)
    body = {"model": "flux-2", "prompt": "exactly once"}
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {acc.key}"}, timeout=30
    ) as client:
        responses = await asyncio.gather(
            *(
                client.post(IMAGES, json=body, headers={"Idempotency-Key": "burst"})
                for _ in range(20)
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {202, 409}
        created = {r.json()["data"]["task_id"] for r in responses if r.status_code == 202}
        assert len(created) == 1
        tasks = (await client.get("/api/v1/tasks")).json()["data"]["items"]
        holds = (await client.get("/api/v1/usage", params={"kind": "hold"})).json()["data"]["items"]
    assert len(tasks) == 1 and len(holds) == 1


def test_a_streaming_answer_with_a_key_streams_to_the_end(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account(credits=1000)
    body = {
        "model": "gemini",
        "stream": True,
        "messages": [{"role": "user", "content": "one two three four five"}],
    }
    with (
        server.client(acc.key) as c,
        c.stream(
            "POST", "/v1/chat/completions", json=body, headers={"Idempotency-Key": "stream-1"}
        ) as r,
    ):
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert len(lines) > 5 and lines[-1] == "data: [DONE]"
