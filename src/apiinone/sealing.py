"""Secrets the gateway must keep usable, sealed at rest with a key derived from ``secret_key``.

A value that has to be read back (the webhook signing secret signs every delivery, so it
cannot be a hash) is stored as ``sealed:v1:<key id>:<base64url(nonce + AES-GCM ciphertext)>``
(99 characters for 32 bytes of secret).
The AES-256 key is derived from ``settings.secret_key`` with HKDF-SHA256; the key id is a
short fingerprint of that derived key, so a value sealed under another ``secret_key`` is
recognised as such rather than failing as tampered data. Each value is bound to where it
lives (``context``, e.g. the account id): a sealed cell copied to another row does not open.

Rotation: the gateway opens values sealed under ``previous_secret_keys`` as well, and
``apiinone secrets rotate`` seals every value again under the current key.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from apiinone.settings import Settings

__all__ = ["PREFIX", "SealError", "Sealer", "is_sealed"]

PREFIX = "sealed:v1:"
_NONCE_BYTES = 12
_INFO = b"apiinone sealed secrets v1"


class SealError(Exception):
    """A sealed value that none of the configured keys opens (wrong key, or altered)."""


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def _derive(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret.encode("utf-8")
    )


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"key id\n" + key).hexdigest()[:8]


class Sealer:
    """Seals with the current secret key; opens with the current or any previous one."""

    def __init__(self, secret_key: str, previous: Iterable[str] = ()) -> None:
        current = _derive(secret_key)
        self.key_id = _key_id(current)
        self._current = AESGCM(current)
        self._keys: dict[str, AESGCM] = {}
        for secret in previous:
            key = _derive(secret)
            self._keys[_key_id(key)] = AESGCM(key)
        self._keys[self.key_id] = self._current

    @classmethod
    def from_settings(cls, settings: Settings) -> Sealer:
        return cls(
            settings.secret_key.get_secret_value(),
            (s.get_secret_value() for s in settings.previous_secret_keys),
        )

    def seal(self, data: bytes, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._current.encrypt(nonce, data, context.encode("utf-8"))
        token = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{PREFIX}{self.key_id}:{token}"

    def open(self, value: str, context: str) -> bytes:
        """The bytes sealed in ``value`` (which :func:`is_sealed`)."""
        if not is_sealed(value):
            raise SealError("not a sealed value")
        key_id, _, token = value[len(PREFIX) :].partition(":")
        aead = self._keys.get(key_id)
        if aead is None:
            raise SealError(
                f"a secret was sealed under a secret_key this gateway does not have (key id "
                f"{key_id}); set the old one in APIINONE_PREVIOUS_SECRET_KEYS"
            )
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            return aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8"))
        except (InvalidTag, ValueError) as exc:
            raise SealError(f"a sealed secret does not open under key id {key_id}") from exc

    def is_current(self, value: str) -> bool:
        """Sealed under the current key (nothing to do for a rotation)."""
        return value.startswith(f"{PREFIX}{self.key_id}:")
