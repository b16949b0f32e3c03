"""Crash safety: SIGKILL the gateway with tasks in flight, restart, and account for every one.

- 200 sandbox tasks in flight: every task reaches a terminal state, each hold is settled
  exactly once, and the books balance.
- Tasks on a counted upstream (a fake Replicate in its own process): a task handed to the
  provider before the crash is resumed by polling, never submitted again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.support.server import Server, base_env, free_port

pytestmark = pytest.mark.slow
IMAGES = "/api/v1/images/generations"


async def submit_many(url: str, key: str, count: int, prompt: str) -> list[str]:
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as c:
        sem = asyncio.Semaphore(16)

        async def one(i: int) -> str:
            async with sem:
                r = await c.post(IMAGES, json={"model": "flux-2", "prompt": f"{prompt} #{i}"})
                assert r.status_code == 202, r.text
                return str(r.json()["data"]["task_id"])

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def kill(server: Server) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    server.process = None


def wait_all_terminal(
    client: httpx.Client, ids: list[str], timeout: float
) -> dict[str, dict[str, object]]:
    deadline = time.monotonic() + timeout
    pending = set(ids)
    done: dict[str, dict[str, object]] = {}
    while pending:
        assert time.monotonic() < deadline, f"{len(pending)} tasks never finished"
        for task_id in list(pending):
            task = client.get(f"/api/v1/tasks/{task_id}").json()["data"]
            if task["status"] != "IN_PROGRESS":
                done[task_id] = task
                pending.discard(task_id)
        time.sleep(0.2)
    return done


def check_books(client: httpx.Client, ids: list[str], start: int, price: int) -> None:
    rows = []
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/usage", params=params).json()["data"]
        rows += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    per_task = Counter((r["task_id"], r["kind"]) for r in rows if r["task_id"])
    account = client.get("/api/v1/account").json()["data"]
    spent = 0
    for task_id in ids:
        holds = per_task[(task_id, "hold")]
        settles = per_task[(task_id, "capture")] + per_task[(task_id, "release")]
        assert holds == 1 and settles == 1, (task_id, holds, settles)
        task = client.get(f"/api/v1/tasks/{task_id}").json()["data"]
        spent += task["consumed_credits"]
    assert account["held"] == 0
    assert account["balance"] == start - spent
    assert sum(r["amount"] for r in rows) == account["balance"]


def start_server(data_dir: Path, admin_key: str, **env: str) -> Server:
    return Server(
        data_dir=data_dir,
        env=base_env(
            data_dir,
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_RATE_LIMIT_PER_MINUTE="100000",
            APIINONE_MAX_CONCURRENT_TASKS_PER_ACCOUNT="0",  # 200 tasks of one account in flight
            **env,
        ),
    ).start()


def test_sigkill_with_200_sandbox_tasks_in_flight(tmp_path: Path) -> None:
    admin_key = generate_key()
    server = start_server(tmp_path / "gw", admin_key, APIINONE_WORKER_CONCURRENCY="16")
    try:
        with server.client(admin_key) as admin:
            start = admin.get("/api/v1/account").json()["data"]["balance"]
            admin.post(
                f"/api/v1/admin/accounts/{admin.get('/api/v1/account').json()['data']['account_id']}/credits",
                json={"amount": 5000, "reason": "crash test"},
            )
            start += 5000
        ids = asyncio.run(submit_many(server.url, admin_key, 200, "crash sandbox:delay=3"))
        time.sleep(1.0)  # some are processing, none can be done yet
        kill(server)
        server = start_server(
            tmp_path / "gw",
            admin_key,
            APIINONE_WORKER_CONCURRENCY="16",
            APIINONE_TASK_LEASE_SECONDS="2",
        )
        with server.client(admin_key) as admin:
            done = wait_all_terminal(admin, ids, timeout=240)
            assert Counter(t["status"] for t in done.values()) == Counter({"SUCCESS": 200})
            check_books(admin, ids, start, price=5)
    finally:
        server.stop()


def test_sigkill_does_not_resubmit_to_the_upstream(tmp_path: Path) -> None:
    fake_port = free_port()
    counter = tmp_path / "submissions.log"
    token = "r8_" + "t" * 37
    fake = __import__("subprocess").Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.replicate",
            "--port",
            str(fake_port),
            "--counter-file",
            str(counter),
            "--complete-after",
            "4",
            "--token",
            token,
        ],
        cwd=Path(__file__).resolve().parents[2],
    )
    providers = tmp_path / "providers.toml"
    providers.write_text(
        f"""
[[channels]]
name = "fake-replicate"
adapter = "replicate"
base_url = "http://127.0.0.1:{fake_port}"
credential_env = "FAKE_REPLICATE_TOKEN"
[channels.models]
"flux-2" = "black-forest-labs/flux-2-pro"
[channels.options.input_map]
input_urls = "input_images"
type = ""
resolution = ""
"""
    )
    admin_key = generate_key()
    env = {
        "APIINONE_PROVIDERS_FILE": str(providers),
        "FAKE_REPLICATE_TOKEN": token,
        "APIINONE_TASK_LEASE_SECONDS": "2",
    }
    server = start_server(tmp_path / "gw", admin_key, **env)
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{fake_port}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        with server.client(admin_key) as admin:
            start = admin.get("/api/v1/account").json()["data"]["balance"]
        ids = asyncio.run(submit_many(server.url, admin_key, 20, "upstream"))
        deadline = time.monotonic() + 30
        while not counter.exists() or len(counter.read_text().splitlines()) < 20:
            assert time.monotonic() < deadline, "the gateway did not hand every task over"
            time.sleep(0.05)
        time.sleep(0.5)  # let the gateway record the upstream ids it was given
        kill(server)
        server = start_server(tmp_path / "gw", admin_key, **env)
        with server.client(admin_key) as admin:
            done = wait_all_terminal(admin, ids, timeout=120)
            assert all(t["status"] == "SUCCESS" for t in done.values()), done
            check_books(admin, ids, start, price=5)
            for task in done.values():
                assert task["response"][0].startswith(
                    server.url + "/files/"
                )  # copied, not the provider's URL
        assert len(counter.read_text().splitlines()) == 20  # each submitted once
    finally:
        server.stop()
        fake.terminate()
        fake.wait(10)
