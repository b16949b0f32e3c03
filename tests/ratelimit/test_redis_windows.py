"""The Redis windows decide as the in-memory windows do (which decide as ``limits`` does,
``test_windows.py``), share their counts between replicas, and fall back to memory when
Redis is unreachable."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiinone.ratelimit.limiter import PERIOD, RateLimiter
from apiinone.ratelimit.redis_windows import RedisWindows
from apiinone.ratelimit.windows import LocalWindows, WindowState
from tests.support.redis_server import redis_on_loopback
from tests.support.server import free_port

START = 1_800_000_000.0  # a minute boundary


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_on_loopback() as url:
        yield url


async def _through_redis(url: str, limit: int, moments: list[float]) -> list[WindowState]:
    windows = RedisWindows(url)
    identity = secrets.token_hex(8)
    try:
        return [await windows.hit(identity, limit, PERIOD, now) for now in moments]
    finally:
        await windows.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    limit=st.integers(1, 8),
    gaps=st.lists(st.floats(0.0, 70.0, allow_nan=False), min_size=1, max_size=40),
)
def test_same_decisions_as_the_memory_windows(
    redis_url: str, limit: int, gaps: list[float]
) -> None:
    moments, now = [], START + 0.25
    for gap in gaps:
        now += gap
        moments.append(now)
    got = asyncio.run(_through_redis(redis_url, limit, moments))
    local = LocalWindows()
    assert got == [local.hit("k", limit, PERIOD, now) for now in moments]


async def test_replicas_hitting_at_once_admit_exactly_the_limit(redis_url: str) -> None:
    # A hundred connections opened at once: a connect timeout for a loaded test machine.
    replicas = [RedisWindows(redis_url, timeout=10), RedisWindows(redis_url, timeout=10)]
    identity, now = secrets.token_hex(8), START + 12.5
    try:
        states = await asyncio.gather(
            *(replicas[i % 2].hit(identity, 30, PERIOD, now) for i in range(100))
        )
    finally:
        for replica in replicas:
            await replica.close()
    admitted = [s for s in states if s.allowed]
    assert len(admitted) == 30
    # Each admitted hit was counted once: the remaining counts are 29 down to 0.
    assert sorted(s.remaining for s in admitted) == list(range(30))
    assert all(s.remaining == 0 for s in states if not s.allowed)


async def test_a_burst_larger_than_the_pool_is_decided_by_redis(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Thousands of requests at once wait for a pooled connection; none is counted in the
    process's memory instead (the client's default pool of 100 would refuse the rest). The
    timeout is a loaded test machine's, as above; the pool's size is what is tested."""
    limiter = RateLimiter(redis_url, timeout=10)
    identity = "key_burst_" + secrets.token_hex(4)
    try:
        with caplog.at_level(logging.WARNING, logger="apiinone.ratelimit"):
            decisions = await asyncio.gather(*(limiter.hit(identity, 600) for _ in range(1000)))
        assert not [r for r in caplog.records if "unreachable" in r.message]
        assert sum(d.allowed for d in decisions) == 600
        assert sorted(d.remaining for d in decisions if d.allowed) == list(range(600))
    finally:
        await limiter.close()


async def test_reset_forgets_the_counts(redis_url: str) -> None:
    limiter = RateLimiter(redis_url)
    try:
        assert [(await limiter.hit("key_reset", 2)).allowed for _ in range(3)] == [
            True,
            True,
            False,
        ]
        await limiter.reset()
        assert (await limiter.hit("key_reset", 2)).allowed
    finally:
        await limiter.close()


async def test_unreachable_redis_falls_back_to_memory(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    try:
        with caplog.at_level(logging.WARNING, logger="apiinone.ratelimit"):
            decisions = [await limiter.hit("key_down", 2) for _ in range(3)]
        assert [d.allowed for d in decisions] == [True, True, False]
        assert decisions[0].remaining == 1 and decisions[2].remaining == 0
        # Redis is tried once, then left alone for a few seconds.
        assert sum("unreachable" in r.message for r in caplog.records) == 1
    finally:
        await limiter.close()
