"""Sliding-window counters in this process's memory: the ``limits`` library's
sliding-window-counter rule, without its storage layer.

Each identity keeps the count of the current fixed window and of the one before it. A hit is
allowed when ``floor(previous x share_of_previous_still_in_the_window + current) + 1`` is
within the limit; the share is the part of the previous window that the sliding window still
covers. Remaining and reset follow ``limits``' ``get_window_stats`` for the same state, so a
process that falls back from Redis to memory answers with the same headers. A hit is a few
dictionary operations (the storage layer of ``limits`` costs about ten times as much here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["LocalWindows", "WindowState", "admits", "window_state"]

PRUNE_ABOVE = 100_000  # identities; older windows are dropped when there are more


@dataclass(frozen=True, slots=True)
class WindowState:
    allowed: bool
    remaining: int
    reset_at: float  # Unix time (s) when the window frees up


def _weight(previous: int, into: float, period: int) -> float:
    """The share of the previous window the sliding window still covers."""
    return (period - into) / period if previous else 0.0


def admits(previous: int, current: int, into: float, period: int, limit: int) -> bool:
    """Whether one more hit fits (``redis_windows.py``'s script computes the same)."""
    return math.floor(previous * _weight(previous, into, period) + current) + 1 <= limit


def window_state(
    allowed: bool, previous: int, current: int, into: float, period: int, limit: int, now: float
) -> WindowState:
    """The answer once the hit is counted (or refused): remaining hits and when one frees."""
    previous_ttl = (period - into) if previous else 0.0
    remaining = max(0, limit - math.floor(previous * _weight(previous, into, period) + current))
    if not (previous or current):
        return WindowState(allowed, remaining, now)
    reset_in = math.inf
    if previous:
        reset_in = previous_ttl % (period / previous)
    if current:
        reset_in = min(reset_in, (2 * period - into) % period)
    return WindowState(allowed, remaining, now + reset_in)


class LocalWindows:
    def __init__(self) -> None:
        # identity -> [window index, count in that window, count in the window before]
        self._counts: dict[str, list[int]] = {}

    def hit(self, identity: str, limit: int, period: int, now: float) -> WindowState:
        index = int(now // period)
        counts = self._counts.get(identity)
        if counts is None:
            if len(self._counts) >= PRUNE_ABOVE:
                self._prune(index)
            counts = self._counts[identity] = [index, 0, 0]
        elif counts[0] != index:
            counts[2] = counts[1] if counts[0] == index - 1 else 0
            counts[0], counts[1] = index, 0
        into = now - index * period  # seconds into the current window
        previous, current = counts[2], counts[1]
        allowed = admits(previous, current, into, period, limit)
        if allowed:
            current = counts[1] = current + 1
        return window_state(allowed, previous, current, into, period, limit, now)

    def _prune(self, index: int) -> None:
        stale = [key for key, counts in self._counts.items() if counts[0] < index - 1]
        for key in stale:
            del self._counts[key]

    def clear(self) -> None:
        self._counts.clear()
