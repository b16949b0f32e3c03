"""Rate-limit headers on every response, 429 with Retry-After, and shared Redis storage."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from apiinone.ratelimit.limiter import RateLimiter
from tests.api.test_auth_e2e import error_of
from tests.conftest import Account
from tests.support.redis_server import redis_on_loopback
from tests.support.server import Server


def test_headers_on_every_authenticated_response(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        for path in ("/api/v1/account", "/api/v1/models", "/api/v1/models/no-such"):
            r = c.get(path)
            assert int(r.headers["x-ratelimit-limit"]) == 100000
            assert 0 <= int(r.headers["x-ratelimit-remaining"]) < 100000
            assert int(r.headers["x-ratelimit-reset"]) >= int(time.time())


def test_per_key_limit_gives_429_with_retry_after(
    server: Server, make_account: Callable[..., Account]
) -> None:
    acc = make_account()
    with server.client(acc.key) as c:
        limited = c.post("/api/v1/keys", json={"rate_limit_per_minute": 5}).json()["data"]
    with server.client(limited["key"]) as c:
        statuses = [c.get("/api/v1/account") for _ in range(6)]
    assert [r.status_code for r in statuses] == [200] * 5 + [429]
    assert [int(r.headers["x-ratelimit-remaining"]) for r in statuses[:5]] == [4, 3, 2, 1, 0]
    last = statuses[-1]
    assert error_of(last)["type"] == "rate_limit"
    assert int(last.headers["retry-after"]) >= 1
    assert last.headers["x-ratelimit-limit"] == "5"
    with server.client(acc.key) as other:  # another key is not affected
        assert other.get("/api/v1/account").status_code == 200


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_on_loopback() as url:
        yield url


async def test_redis_storage_is_shared_between_limiters(redis_url: str) -> None:
    replica_a, replica_b = RateLimiter(redis_url), RateLimiter(redis_url)
    decisions = []
    for i in range(10):
        limiter = replica_a if i % 2 == 0 else replica_b
        decisions.append(await limiter.hit("key_shared", 6))
    assert [d.allowed for d in decisions] == [True] * 6 + [False] * 4
    assert decisions[5].remaining == 0
    memory = RateLimiter(None)  # memory storage is per process
    assert (await memory.hit("key_shared", 6)).allowed
    await replica_a.close()
    await replica_b.close()
