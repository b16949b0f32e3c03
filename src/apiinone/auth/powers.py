"""What a key may do besides spending, and the limits of the keys it mints.

A key's powers bound everything done with it (a dashboard session opened with a key is that
key):

- **Full access** — a live key without a model allow-list or spend cap (and a password
  session): it manages keys, reads and rotates the webhook secret, reads the live ledger,
  and, on an admin account, uses the admin routes. An expiry or a rate limit does not take
  these away; they bound the keys it mints instead.
- **Minting** — a key (or a session opened with one) creates or changes keys only within its
  own limits: an expiry no later than its own, a rate limit no higher, models among its own,
  a spend cap no higher, and a live key only from a live key. A limit the request leaves out
  is taken from the minting key (a key that expires mints keys that expire with it); a limit
  beyond it is a 403 ``permission_denied`` naming the field.
"""

from __future__ import annotations

from typing import Any

from apiinone.auth.keys import KeyLimits
from apiinone.auth.principal import Principal
from apiinone.errors import PermissionDenied

__all__ = [
    "FULL_ACCESS",
    "bound_allowed_models",
    "bound_expiry",
    "bound_rate_limit",
    "bound_spend_cap",
    "bound_update",
    "check_mode",
    "has_full_access",
    "holds_everything",
    "within",
]

FULL_ACCESS = "a live API key without a model allow-list or spend cap"


def has_full_access(principal: Principal) -> bool:
    return principal.unrestricted


def holds_everything(principal: Principal) -> bool:
    """No limit of any kind: what a password (which never expires) may be set from."""
    return (
        principal.unrestricted
        and principal.expires_at is None
        and principal.rate_limit_per_minute is None
    )


def bound_expiry(minter: Principal, expires_at: int | None) -> int | None:
    if minter.expires_at is None:
        return expires_at
    if expires_at is None:
        return minter.expires_at
    if expires_at > minter.expires_at:
        raise PermissionDenied(
            "expires_at is later than this key's own expiry; a key mints only keys that "
            "expire no later than itself",
            param="expires_at",
        )
    return expires_at


def bound_rate_limit(minter: Principal, per_minute: int | None) -> int | None:
    if minter.rate_limit_per_minute is None:
        return per_minute
    if per_minute is None:
        return minter.rate_limit_per_minute
    if per_minute > minter.rate_limit_per_minute:
        raise PermissionDenied(
            f"rate_limit_per_minute is above this key's own "
            f"({minter.rate_limit_per_minute} per minute)",
            param="rate_limit_per_minute",
        )
    return per_minute


def bound_allowed_models(
    minter: Principal, models: tuple[str, ...] | None
) -> tuple[str, ...] | None:
    if minter.allowed_models is None:
        return models
    if models is None:
        return tuple(sorted(minter.allowed_models))
    outside = [m for m in models if m not in minter.allowed_models]
    if outside:
        raise PermissionDenied(
            f"allowed_models names models this key may not use: {', '.join(outside)}",
            param="allowed_models",
        )
    return models


def bound_spend_cap(minter: Principal, cap: int | None) -> int | None:
    if minter.spend_cap is None:
        return cap
    if cap is None:
        return minter.spend_cap
    if cap > minter.spend_cap:
        raise PermissionDenied(
            f"spend_cap is above this key's own ({minter.spend_cap})", param="spend_cap"
        )
    return cap


def check_mode(minter: Principal, test: bool) -> None:
    if minter.is_test and not test:
        raise PermissionDenied("A test key mints only test keys", param="test")


def within(minter: Principal, limits: KeyLimits, *, test: bool) -> KeyLimits:
    """``limits`` for a key ``minter`` creates: its own where left out, 403 where beyond."""
    check_mode(minter, test)
    return KeyLimits(
        expires_at=bound_expiry(minter, limits.expires_at),
        allowed_models=bound_allowed_models(minter, limits.allowed_models),
        rate_limit_per_minute=bound_rate_limit(minter, limits.rate_limit_per_minute),
        spend_cap=bound_spend_cap(minter, limits.spend_cap),
    )


def bound_update(minter: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    """The limits a key changes on a key (its own or another): each one it sends is bounded
    like a new key's; the ones it leaves out stay as they are."""
    bounded = dict(fields)
    if "expires_at" in fields:
        bounded["expires_at"] = bound_expiry(minter, fields["expires_at"])
    if "allowed_models" in fields:
        bounded["allowed_models"] = bound_allowed_models(minter, fields["allowed_models"])
    if "rate_limit_per_minute" in fields:
        bounded["rate_limit_per_minute"] = bound_rate_limit(minter, fields["rate_limit_per_minute"])
    if "spend_cap" in fields:
        bounded["spend_cap"] = bound_spend_cap(minter, fields["spend_cap"])
    return bounded
