"""Chat holds and their process's lease, against real gateway processes on one database.

- A gateway killed with SIGKILL mid-chat (a stream under way, and a request still waiting
  on its upstream): another gateway process on the same database gives both holds back
  once the dead one's lease lapses, in full, one release each, and the balance is whole.
- A stream that lasts many lease lengths keeps its hold while its process lives, though
  another process sweeps the same database all along: it ends captured by its own cost.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from apiinone.auth.secrets import generate_key
from tests.support.server import Server, base_env

pytestmark = pytest.mark.slow
CHAT = "/api/v1/chat/completions"
LEASE = 1.0  # seconds: APIINONE_CHAT_HOLD_LEASE_SECONDS of every process here
# About 55 words at 0.2 s each (sandbox:slow): a stream of some 11 seconds.
LONG = "sandbox:slow " + " ".join(f"word{i}" for i in range(24))


def start(data_dir: Path, admin_key: str) -> Server:
    return Server(
        data_dir=data_dir,
        env=base_env(
            data_dir,
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_RATE_LIMIT_PER_MINUTE="100000",
            APIINONE_CHAT_HOLD_LEASE_SECONDS=str(LEASE),
        ),
    ).start()


def chat_body(prompt: str, *, stream: bool) -> dict[str, Any]:
    return {
        "model": "gemini",
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 500,
        "stream": stream,
    }


def held(client: httpx.Client) -> tuple[int, int]:
    account = client.get("/api/v1/account").json()["data"]
    return int(account["balance"]), int(account["held"])


def chat_rows(client: httpx.Client) -> list[dict[str, Any]]:
    rows = client.get("/api/v1/usage", params={"limit": 200}).json()["data"]["items"]
    return [r for r in rows if str(r["task_id"] or "").startswith("chatcmpl-")]


def wait_for(check: Any, what: str, *, tries: int = 600) -> None:
    for _ in range(tries):
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def test_a_killed_gateways_chat_holds_come_back_once_its_lease_lapses(tmp_path: Path) -> None:
    admin_key = generate_key()
    server = start(tmp_path / "gw", admin_key)
    streaming = threading.Event()

    def stream() -> None:
        with (
            contextlib.suppress(httpx.HTTPError),  # the gateway dies under it
            server.client(admin_key) as c,
            c.stream("POST", CHAT, json=chat_body(LONG, stream=True)) as r,
        ):
            for line in r.iter_lines():
                if line.startswith("data: "):
                    streaming.set()

    def waiting() -> None:
        with (
            contextlib.suppress(httpx.HTTPError),
            httpx.Client(
                base_url=server.url,
                headers={"Authorization": f"Bearer {admin_key}"},
                timeout=120,
            ) as c,
        ):
            c.post(CHAT, json=chat_body("sandbox:delay=90 hi", stream=False))

    threads = [threading.Thread(target=stream), threading.Thread(target=waiting)]
    try:
        with server.client(admin_key) as admin:
            start_balance, start_held = held(admin)
            assert start_held == 0
            for thread in threads:
                thread.start()
            wait_for(lambda: streaming.is_set() and len(chat_rows(admin)) == 2, "two holds")
            balance, holding = held(admin)
        assert holding > 0 and balance + holding == start_balance
        assert server.process is not None
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        server.process = None
        for thread in threads:
            thread.join(30)
            assert not thread.is_alive()

        server = start(tmp_path / "gw", admin_key)  # the same gateway, restarted
        with server.client(admin_key) as admin:
            wait_for(lambda: held(admin)[1] == 0, "the dead process's holds released")
            assert held(admin) == (start_balance, 0)
            rows = chat_rows(admin)
            kinds = Counter((r["task_id"], r["kind"]) for r in rows)
            assert sorted(kinds.values()) == [1, 1, 1, 1]  # one hold, one release, each chat
            assert sorted(k for _, k in kinds) == ["hold", "hold", "release", "release"]
            assert sum(r["amount"] for r in rows) == 0 and sum(r["held_delta"] for r in rows) == 0
            everything = admin.get("/api/v1/usage", params={"limit": 200}).json()["data"]
            assert sum(r["amount"] for r in everything["items"]) == start_balance
            # The restarted gateway chats and bills as ever.
            r = admin.post(CHAT, json=chat_body("hello again", stream=False))
            assert r.status_code == 200, r.text
            cost = r.json()["credits_consumed"]
            assert held(admin) == (start_balance - cost, 0)
    finally:
        server.stop()


def test_a_live_stream_keeps_its_hold_past_many_lease_lengths(tmp_path: Path) -> None:
    admin_key = generate_key()
    serving = start(tmp_path / "gw", admin_key)
    sweeping = start(tmp_path / "gw", admin_key)  # another process on the same database
    try:
        with serving.client(admin_key) as c, sweeping.client(admin_key) as other:
            start_balance, _ = held(other)
            began = time.monotonic()
            checked_late = False
            completion_id = None
            body = chat_body(LONG, stream=True)
            body["stream_options"] = {"include_usage": True}
            with c.stream("POST", CHAT, json=body) as r:
                assert r.status_code == 200
                for line in r.iter_lines():
                    if not line.startswith("data: {"):
                        continue
                    completion_id = orjson.loads(line[6:])["id"]
                    if not checked_late and time.monotonic() - began > 3 * LEASE:
                        # Three leases in, seen from the other process: still held.
                        balance, holding = held(other)
                        assert holding > 0 and balance + holding == start_balance
                        checked_late = True
            assert checked_late  # the stream outlived three leases (0.2 s a word)
            assert completion_id is not None
            items = other.get("/api/v1/usage", params={"task_id": completion_id}).json()
            rows = [(r["kind"], r["amount"], r["held_delta"]) for r in items["data"]["items"]]
            rows.reverse()
            assert [kind for kind, _, _ in rows] == ["hold", "capture", "release"]
            hold, cost = rows[0][2], -rows[1][2]
            assert 0 < cost < hold and rows[2][1] == hold - cost
            assert held(other) == (start_balance - cost, 0)
    finally:
        serving.stop()
        sweeping.stop()
