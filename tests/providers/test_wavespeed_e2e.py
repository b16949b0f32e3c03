"""WaveSpeedAI through the gateway: a real gateway process whose providers file points at
the fake WaveSpeed (its own process), from the HTTP request to the stored file."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from apiinone.auth.secrets import generate_key
from tests.support.server import Server, base_env
from tests.support.tasks import download, image_of, png, run, upload

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ws_e2e_key_do_not_log_7f3a9c1e5b2d4f6a8c0e"
IMAGES = "/api/v1/images/generations"
FACE_SWAP = "/api/v1/images/tools/face-swap"


@pytest.fixture(scope="module")
def fake_url() -> Iterator[str]:
    command = [sys.executable, "-m", "tests.fakes.wavespeed", "--port", "0"]
    command += ["--complete-after", "0.5", "--token", TOKEN]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("FAKE_WAVESPEED_URL="), line
        yield line.strip().removeprefix("FAKE_WAVESPEED_URL=")
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def gateway(fake_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("gw-wavespeed")
    providers = data_dir / "providers.toml"
    providers.write_text(
        f"""
[[channels]]
name = "fake-wavespeed"
adapter = "wavespeed"
base_url = "{fake_url}"
credential_env = "FAKE_WAVESPEED_KEY"
[channels.models]
"seedream-4-5" = "bytedance/seedream-v4.5"
"face-swap" = "wavespeed-ai/image-face-swap"
[channels.options]
poll_interval = 0.2
[channels.options.variants]
"seedream/4.5-edit" = "bytedance/seedream-v4.5/edit"
"""
    )
    admin_key = generate_key()
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_PROVIDERS_FILE=str(providers),
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
        FAKE_WAVESPEED_KEY=TOKEN,
    )
    server = Server(data_dir=data_dir, env=env).start()
    server.admin_key = admin_key  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


def test_images_and_face_swap_through_the_gateway(gateway: Server) -> None:
    with gateway.client(gateway.admin_key) as admin:  # type: ignore[attr-defined]
        account = admin.get("/api/v1/account").json()["data"]["account_id"]
        r = admin.post(
            f"/api/v1/admin/accounts/{account}/credits", json={"amount": 1000, "reason": "e2e"}
        )
        assert r.status_code < 300, r.text

        task = run(admin, IMAGES, {"model": "seedream-4-5", "prompt": "a red fox in snow"})
        assert task["status"] == "SUCCESS", task
        assert task["consumed_credits"] == 12
        (url,) = task["response"]
        assert url.startswith(gateway.url + "/files/")  # copied, not the fake's URL
        data, content_type = download(url)
        assert content_type == "image/png"
        assert image_of(data).format == "PNG"

        scene = upload(admin, "scene.png", png(96, 64), "image/png")["url"]
        face = upload(admin, "face.png", png(40, 40, (200, 150, 120)), "image/png")["url"]
        swapped = run(admin, FACE_SWAP, {"image": scene, "face_image": face})
        assert swapped["status"] == "SUCCESS", swapped
        data, content_type = download(swapped["response"][0])
        assert content_type == "image/png" and image_of(data).size == (64, 48)

        failed = run(admin, IMAGES, {"model": "seedream-4-5", "prompt": "wavespeed:fail please"})
        assert failed["status"] == "FAILED", failed
        assert failed["consumed_credits"] == 0 and failed["response"] == []
        assert failed["error_code"] == "upstream_failed"
        assert "out of GPU memory" in failed["error_message"]

    assert TOKEN not in gateway.output()
