"""Scale-out on PostgreSQL + Redis: two gateways, two workers, a worker killed mid-flight,
rate limits shared across replicas, Redis restarted under load, holds from two processes.

Runs in the PostgreSQL pass of `make test` (APIINONE_TEST_POSTGRES set)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.support import pg
from tests.support.server import BIN, Server, base_env, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not pg.enabled(), reason="runs in the PostgreSQL pass (APIINONE_TEST_POSTGRES)"
    ),
]
TOKEN = "r8_scaletesttoken"
IMAGES = "/api/v1/images/generations"


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                import redis

                redis.Redis(port=self.port).ping()
                return
            except Exception:
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def cluster_env(tmp_path: Path, redis_url: str, admin_key: str, **extra: str) -> dict[str, str]:
    env = base_env(tmp_path / "shared", APIINONE_ADMIN_KEY=admin_key, APIINONE_REDIS_URL=redis_url)
    env.update(extra)
    return env


def start_gateway(tmp_path: Path, env: dict[str, str], name: str) -> Server:
    return Server(data_dir=tmp_path / name, env={**env, "APIINONE_WORKER_ENABLED": "false"}).start()


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(BIN / "apiinone"), "worker"],
        env={**env, "APIINONE_WORKER_ENABLED": "true"},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


async def submit(urls: list[str], key: str, count: int) -> list[str]:
    clients = [
        httpx.AsyncClient(base_url=u, headers={"Authorization": f"Bearer {key}"}, timeout=60)
        for u in urls
    ]
    sem = asyncio.Semaphore(24)

    async def one(i: int) -> str:
        async with sem:
            r = await clients[i % len(clients)].post(
                IMAGES, json={"model": "flux-2", "prompt": f"scale task #{i}"}
            )
            assert r.status_code == 202, r.text
            return str(r.json()["data"]["task_id"])

    try:
        return list(await asyncio.gather(*(one(i) for i in range(count))))
    finally:
        for c in clients:
            await c.aclose()


def test_two_gateways_two_workers_one_killed(tmp_path: Path, redis_server: RedisServer) -> None:
    counter = tmp_path / "submissions.log"
    fake_port = free_port()
    fake = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.replicate",
            "--port",
            str(fake_port),
            "--counter-file",
            str(counter),
            "--complete-after",
            "2",
            "--token",
            TOKEN,
        ],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
    )
    providers = tmp_path / "providers.toml"
    providers.write_text(
        f'[[channels]]\nname = "fake"\nadapter = "replicate"\nbase_url = "http://127.0.0.1:{fake_port}"\n'
        f'credential_env = "FAKE_TOKEN"\n[channels.models]\n"flux-2" = "black-forest-labs/flux-2-pro"\n'
        '[channels.options.input_map]\ninput_urls = "input_images"\ntype = ""\nresolution = ""\n'
    )
    admin_key = generate_key()
    env = cluster_env(
        tmp_path,
        redis_server.url,
        admin_key,
        APIINONE_PROVIDERS_FILE=str(providers),
        FAKE_TOKEN=TOKEN,
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
        APIINONE_TASK_LEASE_SECONDS="3",
        APIINONE_WORKER_CONCURRENCY="48",
        APIINONE_DB_POOL_SIZE="8",
        APIINONE_MAX_CONCURRENT_TASKS_PER_ACCOUNT="0",  # 1000 tasks of one account at once
    )
    subprocess.run([str(BIN / "apiinone"), "migrate"], env=env, check=True, capture_output=True)
    a = start_gateway(tmp_path, env, "a")
    b = start_gateway(tmp_path, env, "b")
    workers = [start_worker(env, tmp_path / f"w{i}.log") for i in range(2)]
    try:
        with a.client(admin_key) as admin:
            me = admin.get("/api/v1/account").json()["data"]["account_id"]
            admin.post(
                f"/api/v1/admin/accounts/{me}/credits",
                json={"amount": 5000, "reason": "scale test"},
            )
            start = admin.get("/api/v1/account").json()["data"]["balance"]
        ids = asyncio.run(submit([a.url, b.url], admin_key, 1000))
        deadline = time.monotonic() + 120
        while not counter.exists() or len(counter.read_text().splitlines()) < 300:
            assert time.monotonic() < deadline, "workers did not start submitting"
            time.sleep(0.05)
        os.kill(workers[0].pid, signal.SIGKILL)  # mid-flight
        workers[0].wait()
        with b.client(admin_key) as c:
            deadline = time.monotonic() + 600
            while True:
                page = c.get("/api/v1/tasks", params={"status": "IN_PROGRESS", "limit": 1}).json()[
                    "data"
                ]
                if not page["items"]:
                    break
                assert time.monotonic() < deadline, "tasks never finished"
                time.sleep(0.5)
            statuses: Counter[str] = Counter()
            spent = 0
            for task_id in ids:
                task = c.get(f"/api/v1/tasks/{task_id}").json()["data"]
                statuses[task["status"]] += 1
                spent += task["consumed_credits"]
            rows, cursor = [], None
            while True:
                page = c.get(
                    "/api/v1/usage", params={"limit": 200, **({"cursor": cursor} if cursor else {})}
                ).json()["data"]
                rows += page["items"]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            account = c.get("/api/v1/account").json()["data"]
        assert sum(statuses.values()) == 1000 and set(statuses) <= {"SUCCESS", "FAILED"}
        assert statuses["SUCCESS"] >= 950, statuses  # only tasks caught mid-submission may fail
        per_task = Counter((r["task_id"], r["kind"]) for r in rows if r["task_id"])
        for task_id in ids:
            assert per_task[(task_id, "hold")] == 1
            assert per_task[(task_id, "capture")] + per_task[(task_id, "release")] == 1
        assert account["held"] == 0 and account["balance"] == start - spent
        assert sum(r["amount"] for r in rows) == account["balance"]
        prompts = Counter(line.split("\t", 1)[1] for line in counter.read_text().splitlines())
        assert max(prompts.values()) == 1  # no task was submitted upstream twice
        assert len(prompts) >= statuses["SUCCESS"]
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
                w.wait(15)
        a.stop()
        b.stop()
        fake.terminate()
        fake.wait(10)


def test_rate_limit_is_shared_and_survives_a_redis_restart(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    admin_key = generate_key()
    env = cluster_env(tmp_path, redis_server.url, admin_key)
    subprocess.run([str(BIN / "apiinone"), "migrate"], env=env, check=True, capture_output=True)
    a = start_gateway(tmp_path, env, "a")
    b = start_gateway(tmp_path, env, "b")
    try:
        with a.client(admin_key) as ca:
            key = ca.post("/api/v1/keys", json={"name": "shared"}).json()["data"]["key"]
        with a.client(key) as ka, b.client(key) as kb:
            codes = [(ka if i % 2 else kb).get("/api/v1/account").status_code for i in range(61)]
            assert codes == [200] * 60 + [429]  # 60 per minute in total, not per replica
            # A revoke on one replica reaches the other through Redis at once.
            other = ka.post("/api/v1/keys", json={"name": "x"})
            assert other.status_code == 429  # still limited: the limit is per key
        with a.client(admin_key) as ca:
            victim = ca.post("/api/v1/keys", json={"name": "victim"}).json()["data"]
        with b.client(victim["key"]) as vb:
            assert vb.get("/api/v1/account").status_code == 200  # cached on b
            with a.client(admin_key) as ca:
                assert ca.delete(f"/api/v1/keys/{victim['id']}").status_code == 200
            time.sleep(0.2)  # well under the 0.5 s cache expiry
            assert vb.get("/api/v1/account").status_code == 401

        # Redis goes away under load: requests keep being served (per-process limits).
        with a.client(admin_key) as ca:
            fresh = ca.post("/api/v1/keys", json={"name": "outage"}).json()["data"]["key"]
        redis_server.stop()
        with a.client(fresh) as fa, b.client(fresh) as fb:
            codes = [(fa if i % 2 else fb).get("/api/v1/account").status_code for i in range(20)]
            assert codes == [200] * 20
            with a.client(admin_key) as ca:
                r = ca.post(IMAGES, json={"model": "flux-2", "prompt": "during the outage"})
                assert r.status_code == 202
            redis_server.start()
            time.sleep(5.5)  # the limiter retries Redis after 5 s
            codes = [(fa if i % 2 else fb).get("/api/v1/account").status_code for i in range(10)]
            assert codes == [200] * 10
    finally:
        a.stop()
        b.stop()


WORKER = """
import asyncio, sys
from apiinone.billing.ledger import hold
from apiinone.db.engine import Database
from apiinone.errors import InsufficientCredits

async def main(url, account, count):
    db = Database(url, pool_size=20)
    ok = 0
    async def one():
        nonlocal ok
        try:
            async with db.write() as conn:
                await hold(conn, account_id=account, mode="live", amount=1)
            ok += 1
        except InsufficientCredits:
            pass
    await asyncio.gather(*(one() for _ in range(count)))
    await db.dispose()
    print(ok)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_500_concurrent_holds_from_two_processes(tmp_path: Path) -> None:
    from tests.support.db import new_account, open_db, wallet_state

    db = await open_db(tmp_path / "holds")
    account = await new_account(db, credits=321)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, db.url, account, "250"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = await asyncio.to_thread(lambda: [p.communicate(timeout=180)[0] for p in procs])
    assert sum(int(o.strip()) for o in outputs) == 321
    assert await wallet_state(db, account) == (0, 321, 0, 321)
    await db.dispose()
