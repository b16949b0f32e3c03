"""A circuit breaker per channel: after N consecutive failures the channel is skipped,
after a cooldown one trial request is let through (half-open), and a success closes it.

State lives in this process (each replica learns for itself; a replica that has not seen
the failures still tries the channel and opens its own circuit after N failures). A circuit
that opens logs a warning with the last error, and one that closes again logs that too, so a
burst of 503s has its cause in the log, not only in ``/metrics``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ChannelHealth", "CircuitBreaker", "CircuitState"]

log = logging.getLogger("apiinone.providers")


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class ChannelHealth:
    state: CircuitState = CircuitState.CLOSED
    consecutive_failures: int = 0
    total_failures: int = 0
    total_successes: int = 0
    opened_at: float | None = None
    trial_started: float | None = None
    last_error: str | None = None


class CircuitBreaker:
    def __init__(self, *, failures: int = 5, cooldown: float = 30.0) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self._health: dict[str, ChannelHealth] = {}

    def health(self, channel: str) -> ChannelHealth:
        return self._health.setdefault(channel, ChannelHealth())

    def allow(self, channel: str) -> bool:
        """May a request go to this channel now? (An open circuit lets one trial through
        after the cooldown.)"""
        health = self.health(channel)
        now = time.monotonic()
        if health.state is CircuitState.CLOSED:
            return True
        if health.state is CircuitState.OPEN:
            if health.opened_at is not None and now - health.opened_at >= self.cooldown:
                health.state = CircuitState.HALF_OPEN
                health.trial_started = now
                return True
            return False
        # Half-open: one trial at a time; a trial that never reported back expires.
        if health.trial_started is not None and now - health.trial_started >= self.cooldown:
            health.trial_started = now
            return True
        return False

    def success(self, channel: str) -> None:
        health = self.health(channel)
        if health.state is not CircuitState.CLOSED:
            log.info("channel %s: circuit closed again (a request succeeded)", channel)
        health.state = CircuitState.CLOSED
        health.consecutive_failures = 0
        health.total_successes += 1
        health.opened_at = health.trial_started = None

    def failure(self, channel: str, error: str) -> None:
        health = self.health(channel)
        health.consecutive_failures += 1
        health.total_failures += 1
        health.last_error = error[:300]
        if health.state is CircuitState.HALF_OPEN or health.consecutive_failures >= self.failures:
            if health.state is not CircuitState.OPEN:
                log.warning(
                    "channel %s: circuit open after %d consecutive failures, for %.0f s (last: %s)",
                    channel,
                    health.consecutive_failures,
                    self.cooldown,
                    health.last_error,
                )
            health.state = CircuitState.OPEN
            health.opened_at = time.monotonic()
            health.trial_started = None
