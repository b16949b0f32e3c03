"""When to try a delivery again: the schedule with jitter, stretched by ``Retry-After``."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["MAX_RETRY_AFTER_SECONDS", "next_delay", "parse_retry_after"]

# A receiver can push its own next attempt out, but not beyond a day.
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def next_delay(
    schedule: Sequence[float],
    attempts: int,
    *,
    jitter: float,
    retry_after: float | None,
    rng: random.Random,
) -> float | None:
    """Seconds until the next attempt after ``attempts`` were made; None when none is left.

    ``schedule[attempts]`` varied by ±``jitter`` (a fraction), never negative, and never
    shorter than a ``Retry-After`` (capped at a day).
    """
    if attempts >= len(schedule):
        return None
    base = max(0.0, schedule[attempts])
    delay = max(0.0, base * (1.0 + rng.uniform(-jitter, jitter)))
    if retry_after is not None and retry_after > delay:
        delay = min(retry_after, max(MAX_RETRY_AFTER_SECONDS, base))
    return delay
