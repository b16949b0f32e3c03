"""API key material: ``aio_`` (or ``aio_test_``) + 32 bytes of url-safe randomness.

Only the SHA-256 hex digest of a key is stored; the key itself is shown once.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["LIVE_PREFIX", "TEST_PREFIX", "generate_key", "hash_key", "is_test_key"]

LIVE_PREFIX = "aio_"
TEST_PREFIX = "aio_test_"


def generate_key(*, test: bool = False) -> str:
    return (TEST_PREFIX if test else LIVE_PREFIX) + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def is_test_key(key: str) -> bool:
    return key.startswith(TEST_PREFIX)
