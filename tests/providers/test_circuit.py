"""The circuit breaker per channel: opens after N consecutive failures, lets one trial
through after the cooldown, and says in the log when it opens and closes."""

from __future__ import annotations

import logging

import pytest

from apiinone.providers.circuit import CircuitBreaker, CircuitState


def test_opens_after_n_failures_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    breaker = CircuitBreaker(failures=3, cooldown=30.0)
    with caplog.at_level(logging.WARNING, logger="apiinone.providers"):
        for n in range(2):
            breaker.failure("up/chat", f"the provider's stream broke (attempt {n})")
        assert breaker.allow("up/chat") and not caplog.records
        breaker.failure("up/chat", "the provider's stream broke (ServerDisconnectedError)")
        breaker.failure("up/chat", "again, while open")  # no second line for the same opening
    assert breaker.health("up/chat").state is CircuitState.OPEN
    assert not breaker.allow("up/chat")
    opened = [r.getMessage() for r in caplog.records]
    assert opened == [
        "channel up/chat: circuit open after 3 consecutive failures, for 30 s "
        "(last: the provider's stream broke (ServerDisconnectedError))"
    ]


def test_a_trial_after_the_cooldown_closes_it_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    breaker = CircuitBreaker(failures=1, cooldown=0.0)
    breaker.failure("up/chat", "HTTP 500")
    assert breaker.allow("up/chat")  # the cooldown is over: one trial
    assert breaker.health("up/chat").state is CircuitState.HALF_OPEN
    caplog.clear()  # the opening's line
    with caplog.at_level(logging.WARNING, logger="apiinone.providers"):
        breaker.success("up/chat")
        breaker.success("up/chat")  # already closed: nothing more to say
    assert breaker.health("up/chat").state is CircuitState.CLOSED
    assert [r.getMessage() for r in caplog.records] == [
        "channel up/chat: circuit closed again (a request succeeded)"
    ]
