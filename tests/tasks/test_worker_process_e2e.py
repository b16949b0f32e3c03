"""``apiinone worker`` runs tasks on its own; the HTTP server can run with none."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from apiinone.auth.secrets import generate_key
from tests.support.server import BIN, Server, base_env
from tests.support.tasks import create, download, wait


def test_tasks_wait_for_a_worker_and_a_separate_worker_runs_them(tmp_path: Path) -> None:
    admin_key = generate_key()
    env = base_env(
        tmp_path / "gw",
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_WORKER_ENABLED="false",
        APIINONE_SANDBOX_SPEED="20",
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
    )
    server = Server(data_dir=tmp_path / "gw", env=env).start()
    worker = None
    try:
        assert "sandbox mode" in server.output()
        with server.client(admin_key) as c:
            body = {"model": "imagen-4", "prompt": "worker test", "seed": 7}
            first = create(c, "/api/v1/images/generations", body)
            time.sleep(1.0)
            assert c.get(f"/api/v1/tasks/{first}").json()["data"]["phase"] == "queued"
            worker_env = {**env, "APIINONE_WORKER_ENABLED": "true"}
            worker = subprocess.Popen(
                [str(BIN / "apiinone"), "worker"],
                env=worker_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            done = wait(c, first, timeout=60)
            assert done["status"] == "SUCCESS"
            # Deterministic for a seed: the same request makes the same bytes.
            again = wait(c, create(c, "/api/v1/images/generations", body), timeout=60)
            assert download(done["response"][0])[0] == download(again["response"][0])[0]
            other = wait(
                c, create(c, "/api/v1/images/generations", {**body, "seed": 8}), timeout=60
            )
            assert download(other["response"][0])[0] != download(done["response"][0])[0]
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=15)
        server.stop()
