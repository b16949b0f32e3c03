"""Client fixtures: a ``Client`` for a fresh, well-funded account on the session server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from apiinone import Client
from apiinone.client import RetryPolicy
from tests.conftest import Account
from tests.support.server import Server

FAST_RETRIES = RetryPolicy(max_retries=3, initial_delay=0.01, max_delay=0.05)


@pytest.fixture
def account(make_account: Callable[..., Account]) -> Account:
    return make_account(credits=5000)


@pytest.fixture
def client(server: Server, account: Account) -> Iterator[Client]:
    with Client(api_key=account.key, base_url=server.url, retry=FAST_RETRIES) as c:
        yield c


@pytest.fixture(autouse=True)
def _no_login_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests never read (or write) the developer's own login file or key variables."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))
    for name in ("APIINONE_API_KEY", "APIINONE_BASE_URL", "AIO_KEY", "APIINONE_URL"):
        monkeypatch.delenv(name, raising=False)
