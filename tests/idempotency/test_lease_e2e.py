"""A running request holds its Idempotency-Key record by a lease it renews; a dead one's lapses.

The gateway runs with a 0.6 s lease (``APIINONE_IDEMPOTENCY_LEASE_SECONDS``) and sandbox
chats that take seconds (``sandbox:delay=N``):

- a duplicate sent after several lease lengths, while the first still runs, is told 409
  "still in progress" (the lease was renewed), then gets the first's answer replayed: one
  hold, one capture;
- a duplicate of a request whose gateway was killed takes the record over once the lease
  lapsed, and runs.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.idempotency.support import records_of
from tests.support.server import Server, base_env, free_port

CHAT = "/v1/chat/completions"
LEASE = 0.6


@pytest.fixture
def gateway_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path, str]]:
    admin_key = generate_key()
    data_dir = tmp_path / "gw"
    env = base_env(
        data_dir, APIINONE_ADMIN_KEY=admin_key, APIINONE_IDEMPOTENCY_LEASE_SECONDS=str(LEASE)
    )
    yield env, data_dir, admin_key


def _chat(seconds: int) -> dict[str, Any]:
    prompt = f"take your time sandbox:delay={seconds}"
    return {"model": "gemini", "messages": [{"role": "user", "content": prompt}]}


async def _in_flight(data_dir: Path, account_id: str) -> dict[str, Any]:
    for _ in range(200):
        records = await records_of(data_dir, account_id)
        if records and records[0]["status"] == "in_flight":
            return records[0]
        await asyncio.sleep(0.05)
    raise AssertionError("the request never claimed its record")


async def _ledger(c: httpx.AsyncClient, kind: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await c.get("/api/v1/usage", params={"kind": kind})).json()[
        "data"
    ]["items"]
    return items


async def test_a_running_request_keeps_its_record(
    gateway_env: tuple[dict[str, str], Path, str],
) -> None:
    env, data_dir, admin_key = gateway_env
    server = await asyncio.to_thread(Server(data_dir=data_dir, env=env).start)
    headers = {"Authorization": f"Bearer {admin_key}"}
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as c:
            account_id = (await c.get("/api/v1/account")).json()["data"]["account_id"]
            idem = {"Idempotency-Key": "long-running"}
            first = asyncio.create_task(c.post(CHAT, json=_chat(4), headers=idem))
            claimed = await _in_flight(data_dir, account_id)
            await asyncio.sleep(4 * LEASE)  # the lease would have lapsed twice over unrenewed
            during = await c.post(CHAT, json=_chat(4), headers=idem)
            renewed = (await records_of(data_dir, account_id))[0]
            answer = await first
            after = await c.post(CHAT, json=_chat(4), headers=idem)
            holds, captures = await _ledger(c, "hold"), await _ledger(c, "capture")
    finally:
        await asyncio.to_thread(server.stop)
    assert during.status_code == 409 and "still in progress" in during.json()["error"]["message"]
    assert renewed["owner"] == claimed["owner"]
    assert renewed["lease_expires_at"] > claimed["lease_expires_at"]
    assert answer.status_code == 200 and "idempotent-replayed" not in answer.headers
    assert after.status_code == 200 and after.headers["idempotent-replayed"] == "true"
    assert after.json() == answer.json()
    assert len(holds) == 1 and len(captures) == 1


async def test_a_dead_owners_record_is_taken_over(
    gateway_env: tuple[dict[str, str], Path, str],
) -> None:
    env, data_dir, admin_key = gateway_env
    headers = {"Authorization": f"Bearer {admin_key}", "Idempotency-Key": "orphan"}
    doomed = await asyncio.to_thread(Server(data_dir=data_dir, env=env).start)
    try:
        async with httpx.AsyncClient(base_url=doomed.url, headers=headers, timeout=60) as c:
            account_id = (await c.get("/api/v1/account")).json()["data"]["account_id"]
            first = asyncio.create_task(c.post(CHAT, json=_chat(2)))
            claimed = await _in_flight(data_dir, account_id)
            assert doomed.process is not None
            os.kill(doomed.process.pid, signal.SIGKILL)
            with pytest.raises(httpx.HTTPError):
                await first
    finally:
        await asyncio.to_thread(doomed.stop)
    orphan = (await records_of(data_dir, account_id))[0]
    assert orphan["status"] == "in_flight" and orphan["owner"] == claimed["owner"]

    heir = await asyncio.to_thread(Server(data_dir=data_dir, env=env, port=free_port()).start)
    try:
        async with httpx.AsyncClient(base_url=heir.url, headers=headers, timeout=60) as c:
            for _ in range(100):  # once the dead owner's lease has lapsed, the retry runs
                retry = await c.post(CHAT, json=_chat(2))
                if retry.status_code != 409:
                    break
                await asyncio.sleep(0.1)
            replay = await c.post(CHAT, json=_chat(2))
    finally:
        await asyncio.to_thread(heir.stop)
    assert retry.status_code == 200, retry.text
    assert "idempotent-replayed" not in retry.headers
    assert replay.status_code == 200 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == retry.json()
    done = (await records_of(data_dir, account_id))[0]
    assert done["status"] == "done" and done["owner"] is None
