"""The in-memory sliding windows decide exactly as ``limits``' sliding-window-counter
strategy over its memory storage, for any sequence of hits in time."""

from __future__ import annotations

import asyncio
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from apiinone.ratelimit.limiter import PERIOD, RateLimiter
from apiinone.ratelimit.windows import LocalWindows

START = 1_800_000_000.0  # a minute boundary


async def _reference(limit: int, moments: list[float]) -> list[tuple[bool, int, float]]:
    clock = {"now": moments[0]}
    with (
        mock.patch("limits.aio.storage.memory.time.time", lambda: clock["now"]),
        mock.patch("limits.aio.strategies.time.time", lambda: clock["now"]),
    ):
        strategy = SlidingWindowCounterRateLimiter(MemoryStorage())
        item = RateLimitItemPerMinute(limit)
        out = []
        for now in moments:
            clock["now"] = now
            allowed = await strategy.hit(item, "key", "k")
            stats = await strategy.get_window_stats(item, "key", "k")
            out.append((allowed, int(stats.remaining), stats.reset_time))
        await strategy.storage.reset()
    return out


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(1, 8),
    gaps=st.lists(st.floats(0.0, 70.0, allow_nan=False), min_size=1, max_size=40),
)
def test_same_decisions_as_limits(limit: int, gaps: list[float]) -> None:
    moments, now = [], START + 0.25
    for gap in gaps:
        now += gap
        moments.append(now)
    expected = asyncio.run(_reference(limit, moments))
    windows = LocalWindows()
    for now, (allowed, remaining, reset_at) in zip(moments, expected, strict=True):
        state = windows.hit("k", limit, PERIOD, now)
        assert (state.allowed, state.remaining) == (allowed, remaining)
        assert abs(state.reset_at - reset_at) < 1e-6


def test_identities_are_independent_and_windows_slide() -> None:
    windows = LocalWindows()
    assert [windows.hit("a", 3, 60, START + 1).allowed for _ in range(4)] == [True] * 3 + [False]
    assert windows.hit("b", 3, 60, START + 1).allowed
    # Half-way into the next window, half of the previous window's 3 hits still count:
    # floor(1.5 + hits so far) + 1 must stay within 3.
    halfway = START + 90
    assert [windows.hit("a", 3, 60, halfway).allowed for _ in range(3)] == [True, True, False]
    # Two windows later nothing counts.
    assert windows.hit("a", 3, 60, START + 181).remaining == 2


async def test_headers_of_a_refusal_carry_retry_after() -> None:
    limiter = RateLimiter()
    decisions = [await limiter.hit("key_x", 2) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    last = dict(decisions[-1].raw_headers())
    assert last[b"x-ratelimit-limit"] == b"2" and last[b"x-ratelimit-remaining"] == b"0"
    assert int(last[b"retry-after"]) >= 1
    assert decisions[-1].headers()["retry-after"] == last[b"retry-after"].decode()
