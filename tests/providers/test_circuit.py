"""The circuit breaker per channel: opens after N consecutive failures, lets one trial
through after the cooldown, and says in the log when it opens (a warning) and closes (news)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from apiinone.providers import circuit
from apiinone.providers.circuit import CircuitBreaker, CircuitState


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


@pytest.fixture
def logged() -> Iterator[list[str]]:
    """What the breaker logs, read at its own logger: what other tests in this process did to
    the logging tree (root handlers, levels, loggers disabled by a logging config) is put
    aside for the test and restored after it."""
    logger = circuit.log
    handler = Lines()
    saved = logger.disabled, logger.level
    logger.disabled, logger.level = False, logging.INFO
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.disabled, logger.level = saved


def test_opens_after_n_failures_and_says_why(logged: list[str]) -> None:
    breaker = CircuitBreaker(failures=3, cooldown=30.0)
    for n in range(2):
        breaker.failure("up/chat", f"the provider's stream broke (attempt {n})")
    assert breaker.allow("up/chat") and not logged
    breaker.failure("up/chat", "the provider's stream broke (ServerDisconnectedError)")
    breaker.failure("up/chat", "again, while open")  # no second line for the same opening
    assert breaker.health("up/chat").state is CircuitState.OPEN
    assert not breaker.allow("up/chat")
    assert logged == [
        "WARNING channel up/chat: circuit open after 3 consecutive failures, for 30 s "
        "(last: the provider's stream broke (ServerDisconnectedError))"
    ]


def test_a_trial_after_the_cooldown_closes_it_and_says_so(logged: list[str]) -> None:
    breaker = CircuitBreaker(failures=1, cooldown=0.0)
    breaker.failure("up/chat", "HTTP 500")
    assert breaker.allow("up/chat")  # the cooldown is over: one trial
    assert breaker.health("up/chat").state is CircuitState.HALF_OPEN
    breaker.success("up/chat")
    breaker.success("up/chat")  # already closed: nothing more to say
    assert breaker.health("up/chat").state is CircuitState.CLOSED
    assert logged == [
        "WARNING channel up/chat: circuit open after 1 consecutive failures, for 0 s (last: HTTP 500)",
        "INFO channel up/chat: circuit closed again (a request succeeded)",
    ]
