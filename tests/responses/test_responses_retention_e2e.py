"""A stored response lives for ``APIINONE_RESPONSES_RETENTION_DAYS``, then is gone: 404 on
retrieve, on its input items and as a ``previous_response_id``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from apiinone.auth.secrets import generate_key
from tests.support.server import Server, base_env

RETENTION_DAYS = 0.0001  # 8.64 seconds


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    admin_key = generate_key()
    env = base_env(
        tmp_path / "gw",
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_RESPONSES_RETENTION_DAYS=str(RETENTION_DAYS),
    )
    srv = Server(data_dir=tmp_path / "gw", env=env).start()
    try:
        yield srv, admin_key
    finally:
        srv.stop()


def test_expired_responses_are_gone(server: tuple[Server, str]) -> None:
    srv, key = server
    with srv.client(key) as c:
        made = c.post("/v1/responses", json={"model": "gemini", "input": "remember me"})
        assert made.status_code == 200, made.text
        response_id = made.json()["id"]
        assert c.get(f"/v1/responses/{response_id}").status_code == 200
        deadline = time.monotonic() + 60
        while c.get(f"/v1/responses/{response_id}").status_code == 200:
            assert time.monotonic() < deadline, "the response outlived its retention"
            time.sleep(0.5)
        assert c.get(f"/v1/responses/{response_id}/input_items").status_code == 404
        go_on = c.post(
            "/v1/responses",
            json={"model": "gemini", "input": "and then?", "previous_response_id": response_id},
        )
        assert go_on.status_code == 404
        assert go_on.json()["error"]["param"] == "previous_response_id"
