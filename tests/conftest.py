"""Shared fixtures: a real server process, and fresh accounts made through the admin API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.support import pg
from tests.support.server import Server, base_env

# What these files check lies on the client's side of the wire or in the browser: the client
# library and its CLI, LiteLLM's habits, the docs' examples, generated clients, the console's
# pages as a browser runs them, a process's collector settings. Their answers come from the
# same queries as the tests that read and write storage over HTTP (money, tasks, keys, the
# admin API and console, security), which run on both databases; these run in the SQLite
# pass only.
ONE_DATABASE = (
    "tests/client/",
    "tests/docs/",
    "tests/openapi/",
    "tests/openai_compat/test_litellm_e2e.py",
    "tests/cli/test_user_cli.py",
    "tests/dashboard/test_journeys.py",
    "tests/dashboard/test_phone_browser.py",
    "tests/dashboard/test_playground_code_browser.py",
    "tests/dashboard/test_price_form_browser.py",
    "tests/test_heap.py",
    "tests/test_start_imports.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass leaves out the files of ONE_DATABASE."""
    if pg.enabled():
        keep = [i for i in items if not i.nodeid.startswith(ONE_DATABASE)]
        if len(keep) < len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in keep])
            items[:] = keep


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The PostgreSQL pass drops the databases it made, so runs do not fill the server."""
    if pg.enabled():
        pg.drop_made()


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
