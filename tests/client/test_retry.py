"""Retries: backoff, Retry-After, and one Idempotency-Key across attempts, so a lost answer
never makes (or charges for) a second task. Proven with a misbehaving loopback proxy."""

from __future__ import annotations

import time

import pytest

from apiinone import APIConnectionError, Client, RateLimitError, ServiceUnavailableError
from apiinone.client import RetryPolicy
from apiinone.client.transport import parse_retry_after
from tests.client.conftest import FAST_RETRIES
from tests.client.support import flaky_proxy
from tests.conftest import Account
from tests.support.server import Server, free_port


def _client(url: str, key: str, policy: RetryPolicy = FAST_RETRIES) -> Client:
    return Client(api_key=key, base_url=url, retry=policy)


def test_a_503_is_retried_with_the_same_key(server: Server, account: Account) -> None:
    with flaky_proxy(server.url, "503") as proxy, _client(proxy.url, account.key) as client:
        task = client.images.generate(model="flux-2", prompt="retried").wait()
    posts = [s for s in proxy.seen if s.method == "POST"]
    assert [s.answered for s in posts] == [503, 202]
    assert posts[0].idempotency_key and posts[0].idempotency_key == posts[1].idempotency_key
    assert task.succeeded


@pytest.mark.parametrize("failure", ["forward-503", "forward-drop"])
def test_a_lost_answer_is_replayed_not_charged_twice(
    server: Server, account: Account, failure: str
) -> None:
    """The gateway ran the first attempt, but its answer never arrived."""
    with (
        flaky_proxy(server.url, failure) as proxy,
        _client(proxy.url, account.key) as client,
    ):
        task = client.images.generate(model="flux-2", prompt="exactly once").wait()
        tasks = client.tasks.list()["items"]
        balance = client.account.get()["balance"]
    posts = [s for s in proxy.seen if s.method == "POST"]
    assert len(posts) == 2 and len({s.idempotency_key for s in posts}) == 1
    assert [t["task_id"] for t in tasks] == [task.id]
    assert balance == 5000 - 5


def test_every_post_gets_its_own_key(server: Server, account: Account) -> None:
    with flaky_proxy(server.url) as proxy, _client(proxy.url, account.key) as client:
        client.images.generate(model="flux-2", prompt="one")
        client.images.generate(model="flux-2", prompt="two")
        client.images.generate(model="flux-2", prompt="three", idempotency_key="mine")
        client.account.get()
    keys = [s.idempotency_key for s in proxy.seen]
    assert keys[2] == "mine" and keys[3] is None
    assert keys[0] and keys[1] and keys[0] != keys[1]


def test_retry_after_is_honoured(server: Server, account: Account) -> None:
    with flaky_proxy(server.url, "429:1") as proxy, _client(proxy.url, account.key) as client:
        started = time.monotonic()
        client.images.generate(model="flux-2", prompt="after a pause")
        elapsed = time.monotonic() - started
    assert elapsed >= 1.0
    assert [s.answered for s in proxy.seen if s.method == "POST"] == [429, 202]


def test_too_long_a_retry_after_raises_at_once(server: Server, account: Account) -> None:
    with (
        flaky_proxy(server.url, "429:120") as proxy,
        _client(proxy.url, account.key) as client,
        pytest.raises(RateLimitError) as caught,
    ):
        client.images.generate(model="flux-2", prompt="later")
    assert caught.value.retry_after == 120 and len(proxy.seen) == 1


def test_retries_give_up_after_max_retries(server: Server, account: Account) -> None:
    policy = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
    with flaky_proxy(server.url, "503", "503", "503", "503") as proxy:
        with (
            _client(proxy.url, account.key, policy) as client,
            pytest.raises(ServiceUnavailableError),
        ):
            client.images.generate(model="flux-2", prompt="never")
        assert len(proxy.seen) == 3 and proxy.script == ["503"]
        with (
            _client(proxy.url, account.key, RetryPolicy(max_retries=0)) as no_retry,
            pytest.raises(ServiceUnavailableError),
        ):
            proxy.match = lambda method, path: True
            no_retry.account.get()
        assert len(proxy.seen) == 4


def test_connection_errors_are_retried_then_wrapped() -> None:
    policy = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
    url = f"http://127.0.0.1:{free_port()}"
    with _client(url, "aio_x", policy) as client, pytest.raises(APIConnectionError) as caught:
        client.account.get()
    assert "Could not reach the gateway" in str(caught.value)
    assert caught.value.__cause__ is not None


def test_backoff_grows_with_jitter_and_parses_retry_after() -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=4.0)
    for retry, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 4.0)]:
        delays = {policy.backoff(retry) for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(delays) > 1
    assert policy.delay(0, 3.0) == 3.0 and policy.delay(0, 61.0) is None
    assert parse_retry_after("5") == 5.0 and parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    http_date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= (parse_retry_after(http_date) or 0) <= 31
