"""``apiinone serve --workers N``: refused without Redis (each process would count rate
limits of its own); with Redis, two processes that share the rate limits and each hold
their own chat holds under their own lease. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from apiinone.auth.secrets import generate_key
from apiinone.billing.holds import CHAT_HOLD_PREFIX
from apiinone.db.engine import Database
from apiinone.db.tables import hold_leases, holds
from tests.support import pg
from tests.support.clock import start_inside_one_window
from tests.support.redis_server import redis_on_loopback
from tests.support.server import BIN, base_env, free_port

PER_MINUTE = 30
BURST = 45


def database_url(data_dir: Path) -> str:
    if pg.enabled():
        return pg.database_for(data_dir)
    return f"sqlite+aiosqlite:///{(data_dir / 'apiinone.db').resolve()}"


async def rows(url: str, query: object) -> list[str]:
    db = Database(url)
    try:
        async with db.read() as conn:
            return [str(v) for v in (await conn.execute(query)).scalars()]  # type: ignore[call-overload]
    finally:
        await db.dispose()


def test_more_than_one_worker_without_redis_is_refused(tmp_path: Path) -> None:
    env = base_env(tmp_path / "gw", APIINONE_ADMIN_KEY=generate_key())
    result = subprocess.run(
        [str(BIN / "apiinone"), "serve", "--port", str(free_port()), "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "--workers 2 needs Redis" in result.stderr.replace("\n", " ")
    # The workers setting is held to the same rule.
    result = subprocess.run(
        [str(BIN / "apiinone"), "serve", "--port", str(free_port())],
        env={**env, "APIINONE_WORKERS": "3"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "needs Redis" in result.stderr


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """A gateway of two server processes sharing Redis: (its URL, the admin key, the
    database URL)."""
    data = tmp_path / "gw"
    data.mkdir()
    admin_key = generate_key()
    port = free_port()
    with redis_on_loopback() as redis_url:
        env = base_env(
            data,
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_REDIS_URL=redis_url,
            APIINONE_RATE_LIMIT_PER_MINUTE=str(PER_MINUTE),
            APIINONE_SANDBOX_SPEED="1000",
        )
        log = (tmp_path / "serve.log").open("w")
        process = subprocess.Popen(
            [str(BIN / "apiinone"), "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            database = database_url(data)
            deadline = time.monotonic() + 300  # a busy host: generous, still bounded
            while True:  # both processes up: each has written its lease
                assert process.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                try:
                    up = httpx.get(url + "/healthz", timeout=2).status_code == 200
                except httpx.HTTPError:
                    up = False
                if up and len(asyncio.run(rows(database, select(hold_leases.c.owner)))) == 2:
                    break
                time.sleep(0.2)
            yield url, admin_key, database
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
    assert "2 server processes; open files:" in (tmp_path / "serve.log").read_text()


async def burst(url: str, key: str) -> Counter[int]:
    """BURST chats, a few at a time, each on its own connection (so both processes take
    some). Few at a time: a Redis call slower than its timeout (a loaded host) would make a
    process fall back to limits of its own, as it does when Redis is down."""
    gate = asyncio.Semaphore(2)

    async def one(i: int) -> int:
        async with (
            gate,
            httpx.AsyncClient(
                base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60
            ) as c,
        ):
            r = await c.post(
                "/v1/chat/completions",
                json={"model": "gemini", "messages": [{"role": "user", "content": f"#{i}"}]},
            )
            assert r.status_code in (200, 429), r.text
            return r.status_code

    return Counter(await asyncio.gather(*(one(i) for i in range(BURST))))


def test_two_workers_share_rate_limits_and_serve_chats(two_workers: tuple[str, str, str]) -> None:
    url, admin_key, database = two_workers
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=60
    ) as admin:
        me = admin.get("/api/v1/account").json()["data"]["account_id"]
        granted = admin.post(
            f"/api/v1/admin/accounts/{me}/credits", json={"amount": 100_000, "reason": "workers"}
        )
        assert granted.status_code == 200, granted.text
        key = admin.post("/api/v1/keys", json={"name": "shared"}).json()["data"]["key"]
    # Limits are sliding windows over wall-clock minutes: a burst that crossed into the next
    # minute would be allowed a share more. Start where the burst ends inside this minute
    # (the key is new: the minute before counted nothing).
    start_inside_one_window(30)
    codes = asyncio.run(burst(url, key))
    # One limit for the key across both processes, not one per process.
    assert codes == Counter({200: PER_MINUTE, 429: BURST - PER_MINUTE})
    owners = asyncio.run(
        rows(
            database,
            select(holds.c.owner).distinct().where(holds.c.task_id.like(CHAT_HOLD_PREFIX + "%")),
        )
    )
    assert len(owners) == 2  # both processes served chats, each under its own lease
    leases = asyncio.run(rows(database, select(hold_leases.c.owner)))
    assert sorted(owners) == sorted(leases)
