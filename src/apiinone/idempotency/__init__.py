"""Idempotency-Key on every POST: the first response is kept 24 h and replayed."""

from apiinone.idempotency.middleware import IdempotencyMiddleware

__all__ = ["IdempotencyMiddleware"]
