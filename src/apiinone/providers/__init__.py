"""Upstream providers: the contract, the registry, and one folder per provider."""
