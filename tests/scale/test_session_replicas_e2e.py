"""A dashboard session is its key on every replica: two gateways on one PostgreSQL and one
Redis; a key revoked, rotated or expired on one ends the key's session on the other.

Runs in the PostgreSQL pass of `make test` (APIINONE_TEST_POSTGRES set)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from apiinone.auth.secrets import generate_key
from tests.dashboard.web import login_with_key
from tests.support import pg
from tests.support.redis_server import redis_on_loopback
from tests.support.server import Server, base_env

pytestmark = pytest.mark.skipif(
    not pg.enabled(), reason="runs in the PostgreSQL pass (APIINONE_TEST_POSTGRES)"
)


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    root: Path = tmp_path_factory.mktemp("replicas")
    admin_key = generate_key()
    with redis_on_loopback() as redis_url:
        env = base_env(
            root / "shared",
            APIINONE_ADMIN_KEY=admin_key,
            APIINONE_REDIS_URL=redis_url,
            APIINONE_RATE_LIMIT_PER_MINUTE="100000",
            APIINONE_WORKER_ENABLED="false",
        )
        first = Server(data_dir=root / "a", env=env).start()
        second = Server(data_dir=root / "b", env=env).start()
        first.admin_key = admin_key  # type: ignore[attr-defined]
        try:
            yield first, second
        finally:
            second.stop()
            first.stop()


def _owner(a: Server) -> httpx.Client:
    """A new account's full key, as an API client of replica ``a``."""
    admin = a.client(a.admin_key)  # type: ignore[attr-defined]
    email = f"replica-{generate_key()[-10:].lower()}@example.com"
    created = admin.post("/api/v1/admin/accounts", json={"email": email})
    assert created.status_code == 201, created.text
    return a.client(created.json()["data"]["key"]["key"])


def _signed_in(client: httpx.Client) -> bool:
    response = client.get("/keys")
    assert response.status_code in (200, 303), response.text[:300]
    return response.status_code == 200


def _ends_on_the_other(
    replicas: tuple[Server, Server], end: Callable[[httpx.Client, str], httpx.Response]
) -> None:
    a, b = replicas
    owner = _owner(a)
    made = owner.post("/api/v1/keys", json={"name": "session key"})
    assert made.status_code == 201, made.text
    key = made.json()["data"]
    session = login_with_key(b.url, key["key"])
    api_on_b = b.client(key["key"])
    assert _signed_in(session)
    assert api_on_b.get("/api/v1/account").status_code == 200  # in b's key cache now
    ended = end(owner, key["id"])
    assert ended.status_code in (200, 201), ended.text
    deadline = time.monotonic() + 10
    while _signed_in(session) or api_on_b.get("/api/v1/account").status_code != 401:
        assert time.monotonic() < deadline, "the key's session lives on on the other replica"
        time.sleep(0.05)
    token = session.cookies["aio_session"]
    with httpx.Client(base_url=a.url, cookies={"aio_session": token}) as on_a:
        assert not _signed_in(on_a)


def test_a_revoke_on_one_replica_ends_the_keys_session_on_the_other(
    replicas: tuple[Server, Server],
) -> None:
    _ends_on_the_other(replicas, lambda owner, key_id: owner.delete(f"/api/v1/keys/{key_id}"))


def test_a_rotation_on_one_replica_ends_the_keys_session_on_the_other(
    replicas: tuple[Server, Server],
) -> None:
    _ends_on_the_other(replicas, lambda owner, key_id: owner.post(f"/api/v1/keys/{key_id}/rotate"))


def test_an_expiry_set_on_one_replica_ends_the_keys_session_on_the_other(
    replicas: tuple[Server, Server],
) -> None:
    past = {"expires_at": "2020-01-01T00:00:00Z"}
    _ends_on_the_other(
        replicas, lambda owner, key_id: owner.patch(f"/api/v1/keys/{key_id}", json=past)
    )
