"""A server started with defaults plus a grace period and a catalog override file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.support.clock import start_inside_one_window
from tests.support.server import Server, base_env

OVERRIDE = """
[[models]]
slug = "flux-2"
[models.price]
table_keys = ["type", "resolution"]
table = { "pro|1K" = 6, "pro|2K" = 8, "flex|1K" = 15, "flex|2K" = 25 }
"""


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    data_dir = tmp_path_factory.mktemp("configured")
    override = data_dir / "catalog.toml"
    override.write_text(OVERRIDE)
    admin_key = generate_key()
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_ROTATION_GRACE_SECONDS="300",
        APIINONE_CATALOG_FILE=str(override),
        APIINONE_OPENAI_WAIT_SECONDS="1",
    )
    server = Server(data_dir=data_dir, env=env).start()
    yield server, admin_key
    server.stop()


def test_default_rate_limit_is_60_per_minute(configured: tuple[Server, str]) -> None:
    server, admin_key = configured
    with server.client(admin_key) as c:
        key = c.post("/api/v1/keys", json={"name": "burst"}).json()["data"]["key"]
    start_inside_one_window()
    with server.client(key) as c:
        codes = [c.get("/api/v1/account").status_code for _ in range(61)]
    assert codes == [200] * 60 + [429]


def test_rotation_grace_keeps_the_old_key_working(configured: tuple[Server, str]) -> None:
    server, admin_key = configured
    with server.client(admin_key) as c:
        old = c.post("/api/v1/keys", json={"name": "graceful"}).json()["data"]
        new = c.post(f"/api/v1/keys/{old['id']}/rotate").json()["data"]
    assert new["replaces"]["status"] == "active" and new["replaces"]["expires_at"] is not None
    with server.client(old["key"]) as o, server.client(new["key"]) as n:
        assert o.get("/api/v1/account").status_code == 200
        assert n.get("/api/v1/account").status_code == 200


def test_catalog_override_changes_prices(configured: tuple[Server, str]) -> None:
    server, admin_key = configured
    with server.client(admin_key) as c:
        r = c.post(
            "/api/v1/quotes",
            json={
                "path": "/api/v1/images/generations",
                "body": {"model": "flux-2", "prompt": "a pond", "type": "flex", "resolution": "2K"},
            },
        )
    assert r.status_code == 200 and r.json()["data"]["credits"] == 25


def test_readyz_and_metrics(configured: tuple[Server, str]) -> None:
    server, _ = configured
    assert httpx.get(server.url + "/readyz").json()["status"] == "ready"
    metrics = httpx.get(server.url + "/metrics")
    assert metrics.status_code == 200 and "python_info" in metrics.text


def test_admin_key_from_env_is_the_admin(configured: tuple[Server, str], tmp_path: Path) -> None:
    server, admin_key = configured
    with server.client(admin_key) as c:
        data = c.get("/api/v1/account").json()["data"]
    assert data["is_admin"] is True
    assert admin_key not in server.output()


def test_v1_images_that_outlast_the_wait_answer_503_with_the_task(
    configured: tuple[Server, str],
) -> None:
    server, admin_key = configured
    with server.client(admin_key) as c:
        r = c.post(
            "/v1/images/generations",
            json={"model": "flux-2", "prompt": "slow one sandbox:delay=5"},
        )
        assert r.status_code == 503, r.text
        error = r.json()["error"]
        assert error["type"] == "service_unavailable" and "task_" in error["message"]
        tasks = c.get("/api/v1/tasks", params={"status": "IN_PROGRESS"}).json()["data"]["items"]
        assert any(t["task_id"] in error["message"] for t in tasks)
