"""No secret in a kept answer: what a replay of a secret-minting request shows instead.

An answer that minted a secret (an API key ``aio_...`` from account creation, key creation
or rotation; a webhook secret ``whsec_...`` from its rotation) shows it once, to the request
that made it. The copy kept for replays has the field that carried the secret set to
``null``, and the JSON object that held it says ``"secret_withheld": true``; everything else
(the key's id, name, prefix, last four characters, limits) is replayed as it was. A secret
quoted inside some other text of an answer (a chat reply that repeats one, a stream) is
replaced by its prefix and ``[withheld]``. Only the answer kept in the database changes;
the client of the first request gets it whole.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

__all__ = ["WITHHELD_FIELD", "withhold_secrets"]

WITHHELD_FIELD = "secret_withheld"
# The gateway's own secrets: API keys (generate_key: 32 random bytes, URL-safe base64, 43
# characters; an operator's admin key may be longer) and webhook secrets (new_secret:
# base64 of 32 random bytes).
_WHOLE = re.compile(r"aio_(?:test_)?[A-Za-z0-9_-]{43,}|whsec_[A-Za-z0-9+/=_-]{32,}")
_QUOTED = re.compile(
    rb"(?<![A-Za-z0-9_-])(?:(aio_(?:test_)?)[A-Za-z0-9_-]{43,}|(whsec_)[A-Za-z0-9+/=_-]{32,})"
)
_MARKERS = (b"aio_", b"whsec_")


def _withhold(node: Any) -> tuple[bool, bool]:
    """Null every secret in ``node`` in place. Returns (whether a list held a secret itself,
    so that the object holding the list says so; whether anything changed)."""
    direct = changed = False
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for name, value in list(items):
        if isinstance(value, str) and _WHOLE.fullmatch(value):
            node[name] = None
            direct = changed = True
        elif isinstance(value, dict | list):
            in_list, inner = _withhold(value)
            direct = direct or in_list
            changed = changed or inner
    if isinstance(node, dict):
        if direct:
            node[WITHHELD_FIELD] = True
        return False, changed
    return direct, changed


def _quoted(match: re.Match[bytes]) -> bytes:
    return (match.group(1) or match.group(2)) + b"[withheld]"


def withhold_secrets(body: bytes, content_type: str) -> bytes:
    """The body to keep for replays: ``body`` with every secret withheld."""
    if not any(marker in body for marker in _MARKERS):
        return body  # the common case: nothing to look at
    if content_type.startswith("application/json"):
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            data = None
        if isinstance(data, dict | list) and _withhold(data)[1]:
            body = orjson.dumps(data)
    return _QUOTED.sub(_quoted, body)
