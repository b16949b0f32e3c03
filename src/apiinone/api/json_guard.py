"""What a JSON request body may not hold, checked on its bytes before anything parses it:
arrays and objects nested deeper than ``max_json_depth``, and the character U+0000.

Nesting (``max_json_depth``, docs/security.md): the check never recurses and never builds
the document. String literals are cut out, every other byte but the brackets is dropped, an
opening bracket counts +1 and a closing one -1, and the running sum (the level at each
bracket) is taken in blocks by numpy: a 10 MB body of brackets costs about 0.1 s of CPU,
however it nests.

U+0000. A JSON string may spell it ``\\u0000``; PostgreSQL cannot store it in text, and no
field of any request needs it, so it is refused on both databases alike.
"""

from __future__ import annotations

import re

import numpy as np

from apiinone.errors import InvalidRequest

__all__ = ["check_json_body", "has_nul", "nests_deeper_than"]

# A JSON string literal (escapes included); possessive, so a long string is one linear scan.
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
# Openers become +1, closers -1 (as int8); every other byte is deleted.
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BLOCK = 1 << 20
# The escape \u0000 itself, not an escaped backslash followed by the text "u0000".
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def nests_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels anywhere in ``raw``."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # not even that many containers
    steps = _STRING.sub(b"", raw).translate(_STEPS, _NOT_BRACKETS)
    level = 0
    for start in range(0, len(steps), _BLOCK):
        block = np.frombuffer(
            steps, dtype=np.int8, count=min(_BLOCK, len(steps) - start), offset=start
        )
        levels = block.cumsum(dtype=np.int32)
        if level + int(levels.max()) > limit:
            return True
        level += int(levels[-1])
    return False


def has_nul(raw: bytes) -> bool:
    """Whether a JSON string in ``raw`` holds U+0000."""
    return b"\\u0000" in raw and _NUL_ESCAPE.search(raw) is not None


def check_json_body(raw: bytes, max_depth: int) -> None:
    """Raise a 400 when ``raw`` nests deeper than ``max_depth`` levels or holds U+0000."""
    if nests_deeper_than(raw, max_depth):
        raise InvalidRequest(
            f"The request body nests arrays and objects more than {max_depth} levels deep "
            "(max_json_depth)"
        )
    if has_nul(raw):
        raise InvalidRequest("The request body holds the character U+0000, which is refused")
