"""The one HTTP status ladder the translators share (providers/failures.py)."""

from __future__ import annotations

import pytest

from apiinone.providers.failures import retryable_status, status_failure


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (429, "upstream_rate_limited", True),
        (500, "upstream_unavailable", True),
        (503, "upstream_unavailable", True),
        (401, "upstream_auth_failed", False),
        (403, "upstream_auth_failed", False),
        (404, "upstream_not_found", False),
        (400, "upstream_rejected", False),
        (422, "upstream_rejected", False),
    ],
)
def test_each_status_has_its_rung(status: int, code: str, retryable: bool) -> None:
    failure = status_failure("no", status=status, retry_after=7.0)
    assert (failure.code, failure.retryable, failure.status) == (code, retryable, status)
    assert retryable_status(status) is retryable
    assert failure.retry_after == (7.0 if retryable else None)


def test_a_providers_own_codes_name_the_final_statuses_only() -> None:
    own = {422: "upstream_failed", 429: "never_used", 404: "never_used"}
    assert status_failure("x", status=422, codes=own).code == "upstream_failed"
    assert status_failure("x", status=429, codes=own).code == "upstream_rate_limited"
    assert status_failure("x", status=404, codes=own).code == "upstream_not_found"


def test_an_envelope_code_is_read_but_the_http_status_reported() -> None:
    failure = status_failure("x", status=200, rung=503, retry_after=2.0)
    assert (failure.code, failure.retryable, failure.status) == ("upstream_unavailable", True, 200)
    final = status_failure("x", status=200, rung=402, codes={402: "upstream_insufficient_balance"})
    assert (final.code, final.retryable, final.status) == (
        "upstream_insufficient_balance",
        False,
        200,
    )
