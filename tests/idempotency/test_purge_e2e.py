"""Records past their 24 hours are purged in the background, whichever key made them.

A fresh gateway, with records of another key planted in its database (two long expired,
one still within its day): the first request with an Idempotency-Key sets the purge off;
the expired records go, the others stay.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from apiinone.auth.secrets import generate_key
from tests.idempotency.support import add_record, records_of
from tests.support.server import Server, base_env


async def test_expired_records_are_purged(tmp_path: Path) -> None:
    admin_key = generate_key()
    data_dir = tmp_path / "gw"
    server = await asyncio.to_thread(
        Server(data_dir=data_dir, env=base_env(data_dir, APIINONE_ADMIN_KEY=admin_key)).start
    )
    headers = {"Authorization": f"Bearer {admin_key}"}
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as c:
            account_id = (await c.get("/api/v1/account")).json()["data"]["account_id"]
            now = int(time.time() * 1000)
            for key, expires in (
                ("old-1", now - 3_600_000),
                ("old-2", now - 1),
                ("day", now + 60_000),
            ):
                await add_record(data_dir, account_id, key, expires)
            made = await c.post(
                "/api/v1/quotes",
                json={
                    "path": "/api/v1/images/generations",
                    "body": {"model": "flux-2", "prompt": "x y"},
                },
                headers={"Idempotency-Key": "sets-the-purge-off"},
            )
            assert made.status_code == 200, made.text
            for _ in range(100):
                keys = {r["key"] for r in await records_of(data_dir, account_id)}
                if "old-1" not in keys and "old-2" not in keys:
                    break
                await asyncio.sleep(0.1)
    finally:
        await asyncio.to_thread(server.stop)
    assert keys == {"day", "sets-the-purge-off"}
