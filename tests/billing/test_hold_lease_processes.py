"""Two OS processes sweep one lapsed lease at once: every hold is released exactly once.

Both sweepers find all of the dead process's chat holds before either releases one (they
meet at a barrier of files), then both release every one of them through their own group
writers: on SQLite one file, on PostgreSQL (the suite's PostgreSQL pass) one database.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from apiinone.billing.hold_lease import HoldLease
from apiinone.billing.holds import HoldBook
from apiinone.db.tables import hold_leases, ledger
from tests.support.db import new_account, open_db, wallet_state

SWEEPER = """
import asyncio, sys
from pathlib import Path
from apiinone.billing.hold_lease import lapsed_holds, release_lapsed
from apiinone.billing.holds import HoldBook
from apiinone.db.engine import Database, now_ms

async def main(url, meeting, me):
    db = Database(url)
    book = HoldBook(db)
    now = now_ms()
    lapsed = await lapsed_holds(book, now)
    (Path(meeting) / me).write_text(str(sum(len(ids) for ids in lapsed.values())))
    for _ in range(1200):
        if len(list(Path(meeting).iterdir())) == 2:
            break
        await asyncio.sleep(0.05)
    else:
        raise SystemExit("the other sweeper never came")
    if me == "two":  # from the other end, so the two meet holds first
        lapsed = {owner: ids[::-1] for owner, ids in lapsed.items()}
    released = await release_lapsed(book, lapsed, now)
    await book.close()
    await db.dispose()
    print(released)

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
"""

HOLDS = 300


async def test_two_processes_sweeping_release_each_hold_once(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "shared.db")
    acc = await new_account(db, credits=1000)
    dead = HoldBook(db)
    await HoldLease(dead, seconds=0.001).renew()  # lapsed by the time anyone looks
    held = await asyncio.gather(
        *(
            dead.hold(account_id=acc, mode="live", amount=2, task_id=f"chatcmpl-{i}")
            for i in range(HOLDS)
        )
    )
    await dead.close()
    assert await wallet_state(db, acc) == (400, 600, 400, 600)
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SWEEPER, db.url, str(meeting), name],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two")
    ]
    outputs = await asyncio.to_thread(lambda: [p.communicate(timeout=120)[0] for p in procs])
    assert all(p.returncode == 0 for p in procs)
    assert [(meeting / name).read_text() for name in ("one", "two")] == [str(HOLDS)] * 2
    assert sum(int(out.strip()) for out in outputs) == HOLDS
    assert await wallet_state(db, acc) == (1000, 0, 1000, 0)
    async with db.read() as conn:
        releases = (
            await conn.execute(
                select(ledger.c.hold_id, func.count(), func.sum(ledger.c.amount))
                .where(ledger.c.account_id == acc, ledger.c.kind == "release")
                .group_by(ledger.c.hold_id)
            )
        ).all()
        leases = (await conn.execute(select(hold_leases.c.owner))).scalars().all()
    assert sorted((str(h), int(n), int(s)) for h, n, s in releases) == sorted(
        (h.hold_id, 1, 2) for h in held
    )
    assert dead.owner not in leases
    await db.dispose()
