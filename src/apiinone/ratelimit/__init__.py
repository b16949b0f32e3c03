"""Per-key request rate limits over the ``limits`` library."""

from apiinone.ratelimit.limiter import RateDecision, RateLimiter

__all__ = ["RateDecision", "RateLimiter"]
