"""A server process tunes its collector once it has started; an app in another program
(these tests' own in-process apps) leaves the program's collector alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from apiinone.heap import OLDER_THRESHOLDS, YOUNG_THRESHOLD

PROBE = """
import asyncio, gc, json, sys
from apiinone.app import create_app, factory
from apiinone.settings import load_settings

async def main():
    before = (gc.get_threshold(), gc.get_freeze_count())
    app = create_app(load_settings()) if sys.argv[1] == "embedded" else factory()
    async with app.router.lifespan_context(app):
        during = (gc.get_threshold(), gc.get_freeze_count())
    print(json.dumps({"before": before, "during": during}))

asyncio.run(main())
"""


def probe(kind: str, tmp_path: Path) -> dict[str, list[object]]:
    env = {"APIINONE_DATA_DIR": str(tmp_path), "APIINONE_LOG_LEVEL": "warning", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, kind],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, list[object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_server_process_freezes_its_start_up_heap_and_spaces_collections(
    tmp_path: Path,
) -> None:
    seen = probe("server", tmp_path)
    threshold, frozen = seen["during"]
    assert threshold == [YOUNG_THRESHOLD, *OLDER_THRESHOLDS]
    assert isinstance(frozen, int) and frozen > 50_000  # the start-up heap, out of the scans


def test_an_embedded_app_leaves_the_collector_as_it_was(tmp_path: Path) -> None:
    seen = probe("embedded", tmp_path)
    assert seen["during"] == seen["before"]
