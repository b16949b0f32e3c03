"""Instructions per chat request, counted by callgrind: the bare proxy against the gateway.

On a shared 2-core machine wrk's requests/s move by a third from one run to the next; a count
of instructions moves by about 1%. This drives each system's ASGI app in process (no uvicorn,
no client sockets; the upstream is the bench's fake, on loopback), warms it up, counts the
instructions of ``N`` requests under callgrind, and prints instructions per request and the
ratio of the gateway to the bare proxy. The gateway runs its full chat path (auth, rate limit,
hold and capture, usage record) on SQLite; its task worker is off, so an idle loop slowed down
fifty times by callgrind does not land on the requests.

    .venv/bin/python bench/instructions.py             # chat and stream, N=300 each
    N=1000 .venv/bin/python bench/instructions.py chat
    .venv/bin/python bench/instructions.py --inner gateway chat URL N   # one count, no valgrind

Needs valgrind (``apt-get install valgrind``; ``bench/setup.sh`` installs it).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    CHAT_BODY,
    CHAT_PATH,
    PYTHON,
    STREAM_BODY,
    UPSTREAM_TOKEN,
    env_int,
    gateway_env,
    log,
    provision,
    start_upstream,
)

SYSTEMS = ("bare", "gateway")
SCENARIOS = {"chat": CHAT_BODY, "stream": STREAM_BODY}
WARMUP = 100

App = Callable[..., Awaitable[None]]


# --------------------------------------------------------------------------- inside valgrind


async def one_request(app: App, body: bytes, token: str) -> int:
    """One POST through the ASGI app; the status, after the whole body was sent."""
    done = asyncio.Event()
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": CHAT_PATH,
        "raw_path": CHAT_PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    await app(scope, receive, send)
    done.set()
    return status


def _instrument(on: bool) -> None:
    """Switch callgrind's counting on or off for this process (no-op outside valgrind)."""
    if os.environ.get("BENCH_CALLGRIND") != "1":
        return
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
        check=True,
        capture_output=True,
        timeout=600,
    )


async def inner(system: str, scenario: str, upstream: str, count: int) -> None:
    body = json.dumps(SCENARIOS[scenario]).encode()
    async with AsyncExitStack() as stack:
        if system == "bare":
            from bare_proxy import build

            app: Any = build(upstream, UPSTREAM_TOKEN)
            await stack.enter_async_context(app.router.lifespan_context(app))
            token = ""
        else:
            data = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            os.environ.update(gateway_env(data, upstream, "http://127.0.0.1:8000"))
            os.environ["APIINONE_WORKER_ENABLED"] = "false"
            from apiinone.app import create_app
            from apiinone.settings import load_settings

            app = create_app(load_settings())
            await stack.enter_async_context(app.router.lifespan_context(app))
            token, _ = await asyncio.to_thread(provision, dict(os.environ))
        for _ in range(WARMUP):
            status = await one_request(app, body, token)
            if status != 200:
                raise SystemExit(f"{system} answered {status} to the warm-up")
        _instrument(True)
        for _ in range(count):
            await one_request(app, body, token)
        _instrument(False)


# --------------------------------------------------------------------------- outside


def count_instructions(system: str, scenario: str, upstream: str, count: int) -> int:
    """Instructions of ``count`` requests, from callgrind's totals."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "BENCH_CALLGRIND": "1", "PYTHONHASHSEED": "0"}
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                PYTHON,
                __file__,
                "--inner",
                system,
                scenario,
                upstream,
                str(count),
            ],
            env=env,
            check=True,
            capture_output=True,
            timeout=3600,
        )
        match = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
        if match is None:
            raise RuntimeError("callgrind wrote no totals")
        return int(match.group(1))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--inner"]:
        system, scenario, upstream, count = argv[1:5]
        asyncio.run(inner(system, scenario, upstream, int(count)))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: apt-get install valgrind", file=sys.stderr)
        return 2
    scenarios = argv or list(SCENARIOS)
    count = env_int("N", 300)
    with tempfile.TemporaryDirectory() as tmp:
        upstream_service, upstream = start_upstream(Path(tmp))
        try:
            rows = []
            for scenario in scenarios:
                per = {}
                for system in SYSTEMS:
                    log(f"{scenario}: counting {count} requests through {system}")
                    per[system] = count_instructions(system, scenario, upstream, count) / count
                rows.append((scenario, per["bare"], per["gateway"]))
        finally:
            upstream_service.stop()
    print("\n| scenario | bare proxy, instructions/request | gateway | gateway / bare |")
    print("|---|---:|---:|---:|")
    for scenario, bare, gateway in rows:
        ratio = gateway / bare
        print(f"| {scenario} | {bare / 1e6:.2f} M | {gateway / 1e6:.2f} M | {ratio:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
