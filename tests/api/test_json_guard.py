"""The byte-level JSON checks against the parsed documents they stand for: the nesting depth
measured on the bytes is the depth of the parsed value, brackets inside strings do not count,
and only a real ``\\u0000`` escape counts as U+0000."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from apiinone.api.json_guard import has_nul, nests_deeper_than

# Strings full of what the byte scan must see through: brackets, quotes, backslashes.
TEXT = st.text(st.sampled_from('[]{}"\\ab\x00u0'), max_size=12)
DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=40,
)


def depth(value: Any) -> int:
    """Levels of arrays and objects, by an explicit walk of the parsed value."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            stack.extend(
                (v, level + 1) for v in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    return False


@settings(max_examples=400, derandomize=True, database=None)
@given(document=DOCUMENTS, limit=st.integers(1, 8))
def test_depth_on_the_bytes_is_the_depth_of_the_document(document: Any, limit: int) -> None:
    for raw in (json.dumps(document).encode(), json.dumps(document, indent=1).encode()):
        assert nests_deeper_than(raw, limit) is (depth(document) > limit), raw


@settings(max_examples=400, derandomize=True, database=None)
@given(document=DOCUMENTS)
def test_nul_is_found_exactly_where_a_string_holds_it(document: Any) -> None:
    raw = json.dumps(document).encode()
    assert has_nul(raw) is holds_nul(document), raw


def test_thousands_of_levels_are_measured_without_recursion() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    assert nests_deeper_than(deep, 64)
    assert not nests_deeper_than(deep, 100_000)
    assert not nests_deeper_than(b'{"a": "' + b"[" * 5000 + b'"}', 1)  # inside a string
