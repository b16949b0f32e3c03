"""Outbound network safety: which URLs the gateway may fetch or call."""

from apiinone.net.guard import UrlGuard, UrlRefused

__all__ = ["UrlGuard", "UrlRefused"]
