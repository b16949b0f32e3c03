"""Deterministic numbers from a seed: a SHA-256 counter stream, stable across platforms.

NumPy's and the stdlib's generators do not promise the same stream across versions for
every method; this does, because it is nothing but SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

__all__ = ["SeedStream"]

_T = TypeVar("_T")
_TWO_64 = float(2**64)


class SeedStream:
    """An endless, reproducible sequence of numbers keyed by ``parts`` (e.g. kind, prompt, seed)."""

    def __init__(self, *parts: object) -> None:
        key = hashlib.sha256()
        for part in parts:
            raw = str(part).encode("utf-8", "surrogatepass")
            key.update(len(raw).to_bytes(8, "big"))
            key.update(raw)
        self._key = key.digest()
        self._counter = 0
        self._buffer = b""

    def _u64(self) -> int:
        if len(self._buffer) < 8:
            block = hashlib.sha256(self._key + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
            self._buffer += block
        value, self._buffer = int.from_bytes(self._buffer[:8], "big"), self._buffer[8:]
        return value

    def unit(self) -> float:
        """A float in [0, 1)."""
        return self._u64() / _TWO_64

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.unit()

    def randint(self, low: int, high: int) -> int:
        """An int in [low, high], both inclusive."""
        if high < low:
            raise ValueError(f"empty range [{low}, {high}]")
        return low + self._u64() % (high - low + 1)

    def choice(self, items: Sequence[_T]) -> _T:
        if not items:
            raise ValueError("cannot choose from an empty sequence")
        return items[self.randint(0, len(items) - 1)]

    def colour(self, low: int = 0, high: int = 255) -> tuple[int, int, int]:
        return (self.randint(low, high), self.randint(low, high), self.randint(low, high))
