"""Magic words that make the sandbox misbehave on purpose, for testing error handling.

Put one anywhere in any string parameter (a prompt, a dialogue line, even an input URL's
query string):

- ``sandbox:fail``       the task fails (and is refunded)
- ``sandbox:delay=N``    the task takes N seconds (0 to 3600)
- ``sandbox:timeout``    the task never finishes; the model's timeout fails and refunds it
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Magic", "read_magic"]

_DELAY = re.compile(r"sandbox:delay=(\d+(?:\.\d+)?)")


@dataclass(frozen=True, slots=True)
class Magic:
    fail: bool = False
    timeout: bool = False
    delay: float | None = None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def read_magic(params: Mapping[str, Any]) -> Magic:
    fail = timeout = False
    delay: float | None = None
    for text in _strings(params):
        if "sandbox:fail" in text:
            fail = True
        if "sandbox:timeout" in text:
            timeout = True
        match = _DELAY.search(text)
        if match:
            delay = min(3600.0, float(match.group(1)))
    return Magic(fail=fail, timeout=timeout, delay=delay)
