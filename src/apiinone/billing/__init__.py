"""Credits: wallets, holds and the ledger."""

from apiinone.billing.ledger import (
    HoldResult,
    WalletBalance,
    adjust,
    capture,
    ensure_wallet,
    get_wallet,
    hold,
    release,
)

__all__ = [
    "HoldResult",
    "WalletBalance",
    "adjust",
    "capture",
    "ensure_wallet",
    "get_wallet",
    "hold",
    "release",
]
