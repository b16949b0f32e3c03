"""MiniMax (Hailuo) video through the gateway: a real gateway process whose providers file
points at the fake MiniMax (its own process), from the HTTP request to the stored MP4."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
import pytest

from apiinone.auth.secrets import generate_key
from tests.support.server import Server, base_env
from tests.support.tasks import download, png, run, upload

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "mm_e2e_key_do_not_log_3b8d1f0a6c4e2a9b7d5f"
VIDEOS = "/api/v1/videos/generations"


@pytest.fixture(scope="module")
def fake_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    counter = tmp_path_factory.mktemp("fake-minimax") / "tasks.log"
    command = [sys.executable, "-m", "tests.fakes.minimax", "--port", "0"]
    command += ["--complete-after", "0.6", "--token", TOKEN, "--counter-file", str(counter)]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("FAKE_MINIMAX_URL="), line
        yield line.strip().removeprefix("FAKE_MINIMAX_URL=")
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def gateway(fake_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("gw-minimax")
    providers = data_dir / "providers.toml"
    providers.write_text(
        f"""
[[channels]]
name = "fake-minimax"
adapter = "minimax"
base_url = "{fake_url}"
credential_env = "FAKE_MINIMAX_KEY"
[channels.models]
"hailuo-2-3" = "MiniMax-Hailuo-2.3"
[channels.options]
poll_interval = 0.2
"""
    )
    admin_key = generate_key()
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_PROVIDERS_FILE=str(providers),
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
        FAKE_MINIMAX_KEY=TOKEN,
    )
    server = Server(data_dir=data_dir, env=env).start()
    server.admin_key = admin_key  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


def frames_of(data: bytes) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        path.write_bytes(data)
        reader = imageio_ffmpeg.read_frames(str(path))
        meta: dict[str, object] = next(reader)
        frames = sum(1 for _ in reader)
    return {**meta, "frames": frames}


def test_hailuo_through_the_gateway(gateway: Server) -> None:
    with gateway.client(gateway.admin_key) as admin:  # type: ignore[attr-defined]
        account = admin.get("/api/v1/account").json()["data"]["account_id"]
        r = admin.post(
            f"/api/v1/admin/accounts/{account}/credits", json={"amount": 1000, "reason": "e2e"}
        )
        assert r.status_code < 300, r.text
        image = upload(admin, "first.png", png(96, 64), "image/png")["url"]
        body = {"model": "hailuo-2-3", "prompt": "the cat turns", "image": image}

        task = run(admin, VIDEOS, {**body, "duration": "10"})
        assert task["status"] == "SUCCESS", task
        assert task["consumed_credits"] == 40  # standard, 10 s, 768P
        (url,) = task["response"]
        assert url.startswith(gateway.url + "/files/")  # copied, not the fake's CDN URL
        data, content_type = download(url)
        assert content_type == "video/mp4" and data[4:8] == b"ftyp"
        meta = frames_of(data)
        assert meta["size"] == (64, 64) and meta["frames"] == 8

        failed = run(admin, VIDEOS, {**body, "prompt": "minimax:fail"})
        assert failed["status"] == "FAILED", failed
        assert failed["consumed_credits"] == 0 and failed["response"] == []
        assert failed["error_code"] == "upstream_failed"

        refused = run(admin, VIDEOS, {**body, "prompt": "minimax:1026"})
        assert refused["status"] == "FAILED", refused
        assert refused["consumed_credits"] == 0
        assert refused["error_code"] == "upstream_content_rejected"

    assert TOKEN not in gateway.output()
