"""Long streams at once: N chat streams held open together, each read to its end.

    python bench/streams_driver.py --url http://127.0.0.1:8000 --key aio_... --count 2500
    python bench/streams_driver.py ... --burst          # every stream starts at once

Each stream asks the fake upstream for a slow answer (``upstream.LONG_PROMPT``: 20 chunks,
one every ``--chunk-interval`` seconds upstream). Streams start evenly over ``--ramp``
seconds, or all within the same instant with ``--burst``. For each stream it notes when
it was sent, when its first event arrived (first byte of the answer) and whether it ended
with ``data: [DONE]``. Prints one line ``BENCH_STREAMS {json}``: wall time (first request
to last end), first-byte p50/p99 (each from its own request), first request to last
first byte, the most streams open at once, errors by kind, and dropped ``[DONE]``.
With ``--max-seconds`` the run is cut there: streams still open are closed and counted
as ``cut`` (for a system too slow to finish N streams in a bounded bench).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import statistics
import time
from collections import Counter
from dataclasses import dataclass

import aiohttp

LONG_PROMPT = "LONG-STREAM"  # upstream.py's marker of a slow stream
CHAT_PATH = "/v1/chat/completions"


@dataclass
class Stream:
    sent: float = 0.0
    first: float | None = None
    ended: float | None = None
    done: bool = False
    error: str | None = None


class Open:
    now = 0
    most = 0


async def one(
    session: aiohttp.ClientSession,
    url: str,
    key: str,
    index: int,
    delay: float,
    open_: Open,
    stream: Stream,
) -> None:
    await asyncio.sleep(delay)
    stream.sent = time.monotonic()
    body = {
        "model": "gemini",
        "messages": [{"role": "user", "content": f"{LONG_PROMPT} #{index}"}],
        "max_tokens": 64,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    counted = False
    try:
        async with session.post(
            url + CHAT_PATH, json=body, headers={"Authorization": f"Bearer {key}"}
        ) as response:
            if response.status != 200:
                stream.error = f"http {response.status}"
                await response.read()
                return
            async for line in response.content:
                if not line.startswith(b"data: "):
                    continue
                if stream.first is None:
                    stream.first = time.monotonic()
                    open_.now += 1
                    open_.most = max(open_.most, open_.now)
                    counted = True
                if line.strip() == b"data: [DONE]":
                    stream.done = True
                elif b'"error"' in line[:16]:
                    stream.error = "error event"
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        stream.error = type(exc).__name__
    finally:
        if counted:
            open_.now -= 1
        stream.ended = time.monotonic()


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(
    url: str, key: str, count: int, ramp: float, burst: bool, max_seconds: float | None = None
) -> dict[str, object]:
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=600, sock_connect=60)
    open_ = Open()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.monotonic()
        delays = [0.0 if burst else ramp * i / count for i in range(count)]
        streams = [Stream() for _ in range(count)]
        tasks = [
            asyncio.ensure_future(one(session, url, key, i, d, open_, streams[i]))
            for i, d in enumerate(delays)
        ]
        _, pending = await asyncio.wait(tasks, timeout=max_seconds)
        for i, task in enumerate(tasks):
            if task in pending:
                task.cancel()
                streams[i].error = "cut"
        await asyncio.gather(*pending, return_exceptions=True)
        wall = time.monotonic() - started
    first_bytes = [s.first - s.sent for s in streams if s.first is not None]
    firsts = [s.first for s in streams if s.first is not None]
    errors = Counter(s.error for s in streams if s.error)
    ok = [s for s in streams if s.error is None and s.done]
    return {
        "streams": count,
        "burst": burst,
        "ramp_s": 0.0 if burst else ramp,
        "cut_at_s": max_seconds if pending else None,
        "wall_s": round(wall, 3),
        "first_byte_p50_s": _round(statistics.median(first_bytes) if first_bytes else None),
        "first_byte_p99_s": _round(_pct(first_bytes, 0.99)),
        "first_request_to_last_first_byte_s": _round(max(firsts) - started if firsts else None),
        "most_open": open_.most,
        "completed": len(ok),
        "errors": dict(errors),
        "failed": count - len(ok),
        "dropped_done": sum(1 for s in streams if s.error is None and not s.done),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--count", type=int, default=2500)
    parser.add_argument("--ramp", type=float, default=2.0)
    parser.add_argument("--burst", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=None)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    result = asyncio.run(
        run(args.url, args.key, args.count, args.ramp, args.burst, args.max_seconds)
    )
    print("BENCH_STREAMS " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
