"""The exception tree: each error type of the gateway raises its own class."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import apiinone
from apiinone import (
    APIInOneError,
    APIStatusError,
    AuthenticationError,
    Client,
    IdempotencyConflictError,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    UpstreamError,
)
from apiinone.client import errors
from apiinone.errors import APIError
from tests.conftest import Account
from tests.support.server import Server


def test_the_tree_mirrors_the_servers_error_types() -> None:
    server_types = {cls.type: cls.status for cls in APIError.__subclasses__()}
    client_types = {
        cls.type: cls.status_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, APIStatusError) and cls.status_code
    }
    assert client_types == server_types
    assert issubclass(UpstreamError, ServerError) and issubclass(
        ServiceUnavailableError, ServerError
    )
    assert issubclass(errors.APITimeoutError, errors.APIConnectionError)
    assert errors.ConnectionError is errors.APIConnectionError
    assert errors.TimeoutError is errors.APITimeoutError
    for name in errors.__all__:
        value = getattr(errors, name)
        if isinstance(value, type):
            assert issubclass(value, APIInOneError)


def test_unknown_answers_still_map() -> None:
    teapot = errors.error_for_response(418, None, {"X-Request-Id": "req_1"}, "short and stout")
    assert type(teapot) is APIStatusError and teapot.status == 418
    assert teapot.message == "short and stout" and teapot.request_id == "req_1"
    gateway = errors.error_for_response(504, {"detail": "x"}, {})
    assert type(gateway) is ServerError and gateway.status == 504
    limited = errors.error_for_response(
        429, {"error": {"type": "rate_limit"}}, {"Retry-After": "7"}
    )
    assert isinstance(limited, RateLimitError) and limited.retry_after == 7.0


def test_400_401_402_403_404_409_413(
    server: Server, client: Client, make_account: Callable[..., Account]
) -> None:
    with pytest.raises(InvalidRequestError) as bad:
        client.images.generate(model="flux-2", prompt="a cat", resolution="8K")
    assert bad.value.status == 400 and bad.value.param == "resolution"
    assert bad.value.error_type == "invalid_request" and bad.value.request_id
    assert "resolution" in str(bad.value)

    with (
        Client(api_key="aio_not_a_key", base_url=server.url) as stranger,
        pytest.raises(AuthenticationError) as unauthenticated,
    ):
        stranger.account.get()
    assert unauthenticated.value.status == 401

    with (
        Client(api_key=make_account(credits=0).key, base_url=server.url) as broke,
        pytest.raises(InsufficientCreditsError) as poor,
    ):
        broke.images.generate(model="flux-2", prompt="a cat")
    assert poor.value.status == 402 and "Insufficient credits" in poor.value.message

    with pytest.raises(PermissionDeniedError):
        client.admin.list_accounts()

    with pytest.raises(NotFoundError) as missing:
        client.tasks.get("task_missing")
    assert missing.value.status == 404
    with pytest.raises(NotFoundError):
        client.models.get("no-such-model")

    client.images.generate(model="flux-2", prompt="first", idempotency_key="same-key")
    with pytest.raises(IdempotencyConflictError) as conflict:
        client.images.generate(model="flux-2", prompt="second", idempotency_key="same-key")
    assert conflict.value.param == "Idempotency-Key"

    with pytest.raises(PayloadTooLargeError):
        client.uploads.create(b"\0" * 1_100_000, name="big.bin")


def test_the_gateways_own_rate_limit(server: Server, client: Client) -> None:
    key = client.keys.create("slow", rate_limit_per_minute=1)["key"]
    with Client(api_key=key, base_url=server.url, max_retries=0) as limited:
        limited.account.get()
        with pytest.raises(RateLimitError) as caught:
            limited.account.get()
    assert caught.value.status == 429 and caught.value.retry_after is not None
    assert 0 < caught.value.retry_after <= 60


def test_top_level_exports() -> None:
    for name in apiinone.__all__:
        assert getattr(apiinone, name) is not None
    assert apiinone.Client is Client
    with pytest.raises(AttributeError):
        _ = apiinone.NoSuchThing
