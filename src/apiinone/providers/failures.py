"""The HTTP status ladder: what an upstream's error status means for a task or a chat.

Every translator reads its provider's own refusals first (a content policy, an exhausted
quota, a provider's own codes), then goes down this one ladder:

- 429: ``upstream_rate_limited`` and 5xx: ``upstream_unavailable``, both retryable, after
  the ``Retry-After`` the upstream gave;
- 401 and 403: ``upstream_auth_failed``, 404: ``upstream_not_found``, a provider's own codes
  for other statuses, and ``upstream_rejected`` for the rest: all final.
"""

from __future__ import annotations

from collections.abc import Mapping

from apiinone.providers.http import HttpFailed

__all__ = ["retryable_status", "status_failure"]

_FINAL: Mapping[int, str] = {
    401: "upstream_auth_failed",
    403: "upstream_auth_failed",
    404: "upstream_not_found",
}


def retryable_status(status: int) -> bool:
    """429 and every 5xx: the upstream may take the same request later."""
    return status == 429 or status >= 500


def status_failure(
    message: str,
    *,
    status: int,
    retry_after: float | None = None,
    codes: Mapping[int, str] | None = None,
    rung: int | None = None,
) -> HttpFailed:
    """The failure for an upstream's HTTP ``status``, with ``message``.

    ``codes`` adds a provider's own final codes for statuses the ladder calls rejected;
    ``rung``, when given, is read instead of ``status`` (an envelope's HTTP-like code inside
    an HTTP 200, which the failure still reports as its ``status``).
    """
    read = status if rung is None else rung
    if read == 429:
        return HttpFailed(
            message=message,
            code="upstream_rate_limited",
            retryable=True,
            status=status,
            retry_after=retry_after,
        )
    if read >= 500:
        return HttpFailed(
            message=message,
            code="upstream_unavailable",
            retryable=True,
            status=status,
            retry_after=retry_after,
        )
    code = _FINAL.get(read) or (codes or {}).get(read, "upstream_rejected")
    return HttpFailed(message=message, code=code, retryable=False, status=status)
