"""The fast lane is built from the routes marked ``@fast_lane`` when the gateway starts.

Real server processes (tests/support/lane_apps.py) with one route more than the gateway's: a
marked route the lane can run is answered by the lane, found by its mark alone; the same
route with a ``Depends`` the lane does not know stops the start with an error naming both.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.lane_apps import NAME_MAX_LENGTH
from tests.support.server import base_env, cli, free_port

ROOT = Path(__file__).resolve().parents[2]


def _launch(factory: str, data_dir: Path, fast: str) -> tuple[subprocess.Popen[str], str, Path]:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = base_env(data_dir, APIINONE_FAST_LANE=fast)
    cli(["migrate"], env)
    port = free_port()
    log_path = data_dir / "server.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            f"tests.support.lane_apps:{factory}",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, f"http://127.0.0.1:{port}", log_path


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The probe app twice, with the lane and without; their base URLs by lane setting."""
    launched = {
        fast: _launch("probe", tmp_path_factory.mktemp(f"probe-{fast}"), fast)
        for fast in ("true", "false")
    }
    try:
        deadline = time.monotonic() + 90
        for process, url, log_path in launched.values():
            while True:
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        yield {fast: url for fast, (_, url, _) in launched.items()}
    finally:
        for process, _, _ in launched.values():
            _stop(process)


def _get(url: str, path: str) -> tuple[int, Any]:
    response = httpx.get(url + path, timeout=30)
    return response.status_code, response.json()


def test_a_newly_marked_route_is_answered_by_the_lane(probes: dict[str, str]) -> None:
    fast = _get(probes["true"], "/api/v1/lane-probe/abc")
    routed = _get(probes["false"], "/api/v1/lane-probe/abc")
    assert fast == (200, {"name": "abc", "routed": False})
    assert routed == (200, {"name": "abc", "routed": True})


def test_a_path_parameter_over_its_limit_is_the_same_4xx_either_way(
    probes: dict[str, str],
) -> None:
    path = "/api/v1/lane-probe/" + "x" * (NAME_MAX_LENGTH + 1)
    fast, routed = _get(probes["true"], path), _get(probes["false"], path)
    assert fast == routed
    status, body = fast
    assert status == 400 and body["error"]["param"] == "name", body
    at_limit = "/api/v1/lane-probe/" + "x" * NAME_MAX_LENGTH
    assert _get(probes["true"], at_limit) == (200, {"name": "x" * NAME_MAX_LENGTH, "routed": False})


@pytest.mark.parametrize("fast", ["true", "false"])
def test_a_marked_route_with_an_unknown_dependency_does_not_start(
    tmp_path: Path, fast: str
) -> None:
    process, url, log_path = _launch("unknown_dependency", tmp_path / "gateway", fast)
    try:
        process.wait(timeout=120)
    finally:
        _stop(process)
    output = log_path.read_text()
    assert process.returncode != 0, output
    assert "FastLaneConfigurationError" in output, output
    assert (
        "the marked route GET /api/v1/lane-probe/{name} "
        "(unknown_dependency.<locals>.lane_probe) depends on "
        "tests.support.lane_apps.quota_check, which the fast lane does not run"
    ) in output, output
    assert "Application startup failed" in output, output
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/healthz", timeout=2)
