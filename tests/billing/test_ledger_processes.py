"""Holds from several OS processes on one SQLite file never overspend."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from tests.support.db import new_account, open_db, wallet_state

WORKER = """
import asyncio, sys
from apiinone.billing.ledger import hold
from apiinone.db.engine import Database
from apiinone.errors import InsufficientCredits

async def main(url, account, count):
    db = Database(url)
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


async def test_four_processes_200_holds_against_57(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    db = await open_db(path)
    acc = await new_account(db, credits=57)
    url = db.url
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, acc, "50"], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = await asyncio.to_thread(lambda: [p.communicate(timeout=120)[0] for p in procs])
    assert all(p.returncode == 0 for p in procs)
    assert sum(int(out.strip()) for out in outputs) == 57
    balance, held, total, held_total = await wallet_state(db, acc)
    assert (balance, held, total, held_total) == (0, 57, 0, 57)
    await db.dispose()
