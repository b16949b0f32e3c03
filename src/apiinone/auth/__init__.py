"""Accounts, API keys and the cache that authenticates requests."""

from apiinone.auth.cache import KeyCache
from apiinone.auth.principal import Principal
from apiinone.auth.secrets import generate_key, hash_key, is_test_key

__all__ = ["KeyCache", "Principal", "generate_key", "hash_key", "is_test_key"]
