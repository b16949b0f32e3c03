"""Secrets out of text that leaves the process: log lines and error messages.

Two nets, both cheap enough for every log record and every error body (never run on a
successful request's path):

- shapes: API keys (``aio_...``), webhook secrets (``whsec_...``), ``Bearer``/``Basic``
  credentials, secret-looking query parameters (``?api_key=``, ``&token=`` ...) and the
  token in a provider hook path (``/hooks/tasks/<id>/<token>``);
- literals: the exact values the gateway was configured with (provider credentials, the
  admin key, the secret key, Stripe and S3 secrets, the database password), registered as
  they are read (:func:`register`).

A redacted value becomes ``[redacted]``; a key keeps its ``aio_`` / ``aio_test_`` prefix so
a log still says which kind of key was sent.

A literal is replaced only where it stands as a whole token: not preceded or followed by a
letter, digit, ``_`` or ``-`` (:class:`Scrubber`). A secret that is part of a longer word
is not that secret, and the text around it is data that must pass unchanged.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apiinone.settings import Settings

__all__ = [
    "RedactingFilter",
    "Scrubber",
    "install_log_redaction",
    "redact",
    "register",
    "register_settings",
    "registered",
]

MARK = "[redacted]"
_MIN_LITERAL = 8  # shorter values would redact ordinary words

_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\baio_(test_)?[A-Za-z0-9_-]{16,}"), r"aio_\1" + MARK),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]{8,}"), "whsec_" + MARK),
    # Capitalized as in a header, and long: "basic quality" in a message is not a secret.
    (re.compile(r"\b(Bearer|Basic|Token|Key)(\s+)[A-Za-z0-9._~+/=-]{16,}"), r"\1\2" + MARK),
    (
        re.compile(
            r"(?i)([?&;](?:api[_-]?key|key|token|access[_-]?token|secret|password|"
            r"sig|signature|session|code)=)[^&;\s\"'#]+"
        ),
        r"\1" + MARK,
    ),
    (re.compile(r"(/hooks/tasks/[^/\s?]+/)[A-Za-z0-9]+"), r"\1" + MARK),
)
_literals: dict[str, Scrubber] = {}
_TOKEN = "A-Za-z0-9_-"  # the characters a credential token is made of, for its bounds
_TOKEN_CHAR = re.compile(f"[{_TOKEN}]")


class Scrubber:
    """Replaces whole-token occurrences of one secret (in text or bytes) by ``[redacted]``.

    The secret must not be glued to token characters (letters, digits, ``_``, ``-``): in
    ``"index"`` there is no credential ``"inde"``, in ``sk-a1b2...-backup`` no ``sk-a1b2...``.
    Text without the secret is returned as it came (the same object)."""

    __slots__ = ("_bytes", "_raw", "_secret", "_text")

    def __init__(self, secret: str) -> None:
        before = f"(?<![{_TOKEN}])" if secret and _TOKEN_CHAR.match(secret[0]) else ""
        after = f"(?![{_TOKEN}])" if secret and _TOKEN_CHAR.match(secret[-1]) else ""
        pattern = before + re.escape(secret) + after
        self._secret = secret
        self._raw = secret.encode("utf-8")
        self._text = re.compile(pattern)
        self._bytes = re.compile(pattern.encode("utf-8"))

    def text(self, text: str) -> str:
        if not self._secret or self._secret not in text:
            return text
        return self._text.sub(MARK, text)

    def bytes(self, data: bytes) -> bytes:
        if not self._raw or self._raw not in data:
            return data
        return self._bytes.sub(MARK.encode(), data)


def register(*secrets: str | None) -> None:
    """Redact these exact values wherever they appear from now on (in this process)."""
    for secret in secrets:
        if secret and len(secret) >= _MIN_LITERAL and secret not in _literals:
            _literals[secret] = Scrubber(secret)


def register_settings(settings: Settings) -> None:
    """The secrets of the configuration: admin key, secret key, Stripe, S3, database."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from apiinone.settings import DEFAULT_SECRET

    for value in (
        settings.admin_key,
        settings.stripe_secret_key,
        settings.stripe_webhook_secret,
        settings.s3_secret_access_key,
    ):
        if value is not None:
            register(value.get_secret_value())
    for key in (settings.secret_key, *settings.previous_secret_keys):
        if key.get_secret_value() != DEFAULT_SECRET:
            register(key.get_secret_value())
    if settings.database_url:
        with contextlib.suppress(ArgumentError):
            register(make_url(settings.database_url).password)


def registered() -> frozenset[str]:
    return frozenset(_literals)


def redact(text: str) -> str:
    """``text`` with every known secret and every secret-shaped value replaced."""
    for scrubber in tuple(_literals.values()):
        text = scrubber.text(text)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text


def _clean(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, arguments and traceback text; never drops a record.

    Arguments are cleaned one by one (not merged into the message), so formatters that read
    ``record.args`` themselves, like uvicorn's access log, keep working."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _clean(arg) for key, arg in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()
_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "gunicorn.error")


def install_log_redaction(loggers: Iterable[str] = _LOGGERS) -> None:
    """Put the filter on every handler of these loggers (idempotent).

    A handler filter sees every record that reaches the handler, propagated ones included;
    a logger filter would not."""
    for name in loggers:
        for handler in logging.getLogger(name).handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
