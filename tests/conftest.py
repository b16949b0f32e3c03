"""Shared fixtures: a real server process, and fresh accounts made through the admin API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.support.server import Server, base_env


@dataclass(frozen=True)
class Account:
    id: str
    key: str
    email: str


# cogview-4 times out after 2 s on the test server, so timeouts can be shown.
SHORT_TIMEOUT_MODEL = """
[[models]]
slug = "cogview-4"
timeout_seconds = 2
"""


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One gateway for the session; tests isolate themselves with their own accounts."""
    data_dir = tmp_path_factory.mktemp("gateway")
    admin_key = generate_key()
    catalog = data_dir / "catalog-override.toml"
    catalog.write_text(SHORT_TIMEOUT_MODEL)
    env = base_env(
        data_dir,
        APIINONE_ADMIN_KEY=admin_key,
        APIINONE_RATE_LIMIT_PER_MINUTE="100000",
        APIINONE_SIGNUP_BONUS="100",
        APIINONE_MAX_BODY_BYTES="1048576",
        APIINONE_SANDBOX_SPEED="20",
        APIINONE_ALLOWED_URL_HOSTS='["127.0.0.1"]',
        APIINONE_WEBHOOK_RETRY_SCHEDULE="[0, 0.3, 0.6, 1.0]",
        APIINONE_CATALOG_FILE=str(catalog),
    )
    srv = Server(data_dir=data_dir, env=env).start()
    srv.admin_key = admin_key  # type: ignore[attr-defined]
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def admin(server: Server) -> Iterator[httpx.Client]:
    with server.client(server.admin_key) as client:  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def make_account(admin: httpx.Client) -> Callable[..., Account]:
    counter = iter(range(1_000_000))

    def make(credits: int | None = None, prefix: str = "user") -> Account:
        email = f"{prefix}-{next(counter)}-{generate_key()[-8:].lower()}@example.com"
        response = admin.post("/api/v1/admin/accounts", json={"email": email})
        assert response.status_code == 201, response.text
        data = response.json()["data"]
        if credits is not None:
            balance = 100  # the sign-up bonus configured for the session server
            delta = credits - balance
            if delta:
                r = admin.post(
                    f"/api/v1/admin/accounts/{data['id']}/credits",
                    json={"amount": delta, "reason": "test setup"},
                )
                assert r.status_code == 200, r.text
        return Account(id=data["id"], key=data["key"]["key"], email=email)

    return make


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
