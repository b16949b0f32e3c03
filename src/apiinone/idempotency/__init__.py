"""Idempotency-Key on every API POST: a request that ran is kept 24 h for its key, and
replayed to that key alone, with no secret inside (``apiinone.api.idempotency`` tells how)."""
