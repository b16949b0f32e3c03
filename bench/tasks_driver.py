"""Task submission through completion, driven by an async client (the bench runs it).

    python bench/tasks_driver.py --url http://127.0.0.1:PORT --key aio_test_... --count 2000

Submits ``--count`` sandbox tasks (a 128x128 image, no simulated delay; fewer if
``--max-seconds`` runs out first) from ``--concurrency`` concurrent clients, then waits
until none is in progress (one light list request every 50 ms), then reads every task back.
Prints one JSON line:

- ``submissions_per_s``: accepted submissions (HTTP 202) over the submission phase;
- ``submit_p50_ms`` / ``submit_p99_ms``: latency of one submission;
- ``completion_s``: from the first submission sent to the last task completed (the
  gateway's own ``completed_at``), and ``completed_per_s`` = tasks / that span;
- ``statuses``: how the tasks ended (all ``SUCCESS`` when everything worked).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import datetime
from typing import Any

import aiohttp
import orjson

BODY = {"model": "hunyuan-image-3", "prompt": "bench sandbox:delay=0", "size": "128*128"}


def _ms(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(
    url: str, key: str, count: int, concurrency: int, max_s: float, wait_s: float
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    body = orjson.dumps(BODY)
    ids: list[str] = []
    latencies: list[float] = []
    failures: dict[str, int] = {}
    remaining = count
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:

        async def submitter() -> None:
            nonlocal remaining
            while remaining > 0 and time.perf_counter() - t0 < max_s:
                remaining -= 1
                started = time.perf_counter()
                async with session.post(url + "/api/v1/images/generations", data=body,
                                        headers=headers) as response:  # fmt: skip
                    raw = await response.read()
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status == 202:
                    ids.append(orjson.loads(raw)["data"]["task_id"])
                else:
                    failures[str(response.status)] = failures.get(str(response.status), 0) + 1

        first_sent = time.time() * 1000
        t0 = time.perf_counter()
        await asyncio.gather(*(submitter() for _ in range(concurrency)))
        submit_s = time.perf_counter() - t0

        # Wait until nothing is in progress: one small list request every 50 ms.
        deadline = time.perf_counter() + wait_s
        drained = False
        while time.perf_counter() < deadline:
            async with session.get(
                url + "/api/v1/tasks", params={"status": "IN_PROGRESS", "limit": "1"},
                headers=headers,
            ) as response:  # fmt: skip
                page = orjson.loads(await response.read())
            if response.status == 200 and not page["data"]["items"]:
                drained = True
                break
            await asyncio.sleep(0.05)
        wait_done_s = time.perf_counter() - t0

        # Read every task back (not timed): how each ended, and when.
        statuses: dict[str, int] = {}
        completed: list[float] = []
        queue = list(ids)

        async def reader() -> None:
            while queue:
                task_id = queue.pop()
                async with session.get(f"{url}/api/v1/tasks/{task_id}",
                                       headers=headers) as response:  # fmt: skip
                    data = orjson.loads(await response.read())["data"]
                statuses[data["status"]] = statuses.get(data["status"], 0) + 1
                if data.get("completed_at"):
                    completed.append(_ms(data["completed_at"]))

        await asyncio.gather(*(reader() for _ in range(min(concurrency, 16))))

    completion_s = (max(completed) - first_sent) / 1000 if completed else float("nan")
    return {
        "count": len(ids) + sum(failures.values()),
        "accepted": len(ids),
        "rejected": failures,
        "submit_s": round(submit_s, 3),
        "submissions_per_s": round(len(ids) / submit_s, 1) if submit_s else 0.0,
        "submit_p50_ms": round(_percentile(latencies, 0.50), 2),
        "submit_p99_ms": round(_percentile(latencies, 0.99), 2),
        "drained": drained,
        "drain_seen_s": round(wait_done_s, 3),
        "completion_s": round(completion_s, 3),
        "completed_per_s": round(len(completed) / completion_s, 1) if completed else 0.0,
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-seconds", type=float, default=30.0, help="stop submitting then")
    parser.add_argument("--wait", type=float, default=120.0, help="seconds to wait for the end")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(
        run(args.url.rstrip("/"), args.key, args.count, args.concurrency, args.max_seconds,
            args.wait)
    )  # fmt: skip
    print("BENCH_TASKS " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
