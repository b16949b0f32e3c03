"""What the Idempotency-Key applies to, what identifies a request, what is kept.

- **Where**: a ``POST`` to the API (``/api/v1/...``, ``/v1/...``), authenticated by an API
  key. The dashboard's routes (cookie sessions) ignore the header: their forms and the
  playground never send one, and a session is not a key a record could belong to.
- **The same request**: the same key (its id, and the powers it has now: mode, admin, model
  allow-list, spend cap), the same path and query, byte for byte the same body. A key whose
  powers changed since is making a different request (409), never given the old answer.
- **Kept**: answers of requests that ran: 2xx, and the 404 and 409 a request meets while it
  runs (an unknown task, a state that forbids the change). Not kept, so the same key may be
  sent again: 400 (the body failed validation), 401, 402, 403, 413, 429 and every 5xx.
- **Headers kept for a replay**: what describes the answer (``Content-Type``, ``Location``,
  ``X-Credits-Consumed``, ``X-Task-Id``, ``Cache-Control`` ...). Not kept: framing headers,
  cookies, and the headers that describe the request that carries them: a replay has its
  own ``X-Request-Id`` and rate-limit headers, and names the request that ran in
  ``Original-Request``.
"""

from __future__ import annotations

import hashlib

import orjson
from starlette.types import Scope

from apiinone.auth.principal import Principal

__all__ = [
    "API_PREFIXES",
    "MAX_KEY_LENGTH",
    "ORIGINAL_REQUEST",
    "applies",
    "kept_headers",
    "recorded",
    "request_hash",
]

API_PREFIXES = ("/api/v1/", "/v1/")
MAX_KEY_LENGTH = 255
ORIGINAL_REQUEST = "original-request"
_RECORDED_ERRORS = frozenset({404, 409})
_NOT_KEPT = frozenset(
    {
        b"content-length",
        b"transfer-encoding",
        b"connection",
        b"keep-alive",
        b"date",
        b"server",
        b"set-cookie",
        b"x-request-id",
        b"retry-after",
        b"idempotent-replayed",
        ORIGINAL_REQUEST.encode(),
    }
)


def applies(scope: Scope) -> bytes | None:
    """The raw Idempotency-Key of an API ``POST`` that carries one, else None."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    if not scope["path"].startswith(API_PREFIXES):
        return None
    for name, value in scope["headers"]:
        if name == b"idempotency-key":
            return bytes(value)
    return None


def request_hash(principal: Principal, scope: Scope, body: bytes) -> str:
    models = sorted(principal.allowed_models) if principal.allowed_models is not None else None
    who = [
        principal.key_id,
        principal.mode,
        principal.is_admin,
        models,
        principal.spend_cap,
        scope["path"],
        scope.get("query_string", b"").decode("latin-1"),
    ]
    return hashlib.sha256(orjson.dumps(who) + b"\n" + body).hexdigest()


def recorded(status: int) -> bool:
    return 200 <= status < 300 or status in _RECORDED_ERRORS


def kept_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in headers
        if name.lower() not in _NOT_KEPT and not name.lower().startswith(b"x-ratelimit-")
    ]
