"""What a server process loads: `apiinone serve` builds the whole command line and the app,
but imports redis-py only when Redis is configured and the client (httpx) only when a user
command runs. Each is a tenth of a second or more of every start."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import asyncio, json, sys
import apiinone.cli.main
from apiinone.app import factory

async def main():
    app = factory()
    async with app.router.lifespan_context(app):
        pass
    print(json.dumps(sorted(m for m in ("redis", "httpx", "apiinone.client") if m in sys.modules)))

asyncio.run(main())
"""


def loaded(tmp_path: Path, **extra: str) -> list[str]:
    env = {"APIINONE_DATA_DIR": str(tmp_path), "APIINONE_LOG_LEVEL": "warning", "PATH": ""}
    env.update(extra)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    names: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return names


def test_a_server_without_redis_loads_neither_redis_nor_the_client(tmp_path: Path) -> None:
    assert loaded(tmp_path) == []


def test_a_server_with_redis_loads_it(tmp_path: Path) -> None:
    # Nothing listens there: the limiter and the bus connect on first use, and fail open.
    assert loaded(tmp_path, APIINONE_REDIS_URL="redis://127.0.0.1:1/0") == ["redis"]
