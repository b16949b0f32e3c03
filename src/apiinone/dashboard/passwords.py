"""Passwords: argon2id through argon2-cffi, hashed and checked off the event loop."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from apiinone.errors import InvalidRequest

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "check_strength", "hash_password", "verify_password"]

MIN_LENGTH = 10
MAX_LENGTH = 256
_HASHER = PasswordHasher()  # argon2id with the library's defaults; holds no state


@cache
def _dummy_hash() -> str:
    """Checked against when the email is unknown, so both answers take as long."""
    return _HASHER.hash("not a real password, only for timing")


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidRequest(
            f"The password needs at least {MIN_LENGTH} characters", param="password"
        )
    if len(password) > MAX_LENGTH:
        raise InvalidRequest(f"The password may have at most {MAX_LENGTH} characters")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


def _verify(stored: str | None, password: str) -> tuple[bool, bool]:
    try:
        _HASHER.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False, False
    if stored is None:
        return False, False
    return True, _HASHER.check_needs_rehash(stored)


async def verify_password(stored: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs a new hash). ``stored`` None (no such account, or no password set)
    never matches, but costs the same time."""
    if len(password) > MAX_LENGTH:
        return False, False
    return await asyncio.to_thread(_verify, stored, password)
