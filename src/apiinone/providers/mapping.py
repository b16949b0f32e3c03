"""Declarative parameter mapping: our catalog parameters → an upstream's names and values.

A channel's ``[channels.options.params]`` table, one entry per parameter of ours::

    aspect_ratio = "image_size"                                  # rename
    resolution = { to = "resolution", values = { "1K" = "1024" } }  # rename and map values
    duration = { to = "duration", transform = "str" }            # convert
    negative_prompt = ""                                         # drop it

and ``[channels.options.defaults]`` for fixed extra fields. Parameters without an entry
pass through unchanged (``passthrough = false`` in the options drops them instead).
``callback_url`` is ours and never passed on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["TRANSFORMS", "MappingError", "apply_mapping", "check_mapping"]


class MappingError(ValueError):
    """A channel's parameter mapping is malformed."""


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


TRANSFORMS: Mapping[str, Callable[[Any], Any]] = {
    "str": str,
    "int": lambda v: int(float(v)),
    "float": float,
    "bool": bool,
    "upper": lambda v: str(v).upper(),
    "lower": lambda v: str(v).lower(),
    "list": _as_list,
    "first": _first,
}
NEVER_SENT = frozenset({"callback_url"})


def check_mapping(options: Mapping[str, Any]) -> None:
    """Refuse a malformed mapping when the channel is loaded, not on the first request."""
    for ours, rule in dict(options.get("params", {})).items():
        if isinstance(rule, str):
            continue
        if not isinstance(rule, Mapping) or not isinstance(rule.get("to", ours), str):
            raise MappingError(f"params.{ours}: expected a name or {{to, values, transform}}")
        transform = rule.get("transform")
        if transform is not None and transform not in TRANSFORMS:
            raise MappingError(
                f"params.{ours}: unknown transform {transform!r} (known: {sorted(TRANSFORMS)})"
            )
        if "values" in rule and not isinstance(rule["values"], Mapping):
            raise MappingError(f"params.{ours}.values must be a table")


def apply_mapping(params: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    rules: Mapping[str, Any] = options.get("params", {})
    passthrough = options.get("passthrough", True)
    out: dict[str, Any] = dict(options.get("defaults", {}))
    for name, value in params.items():
        if name in NEVER_SENT or value is None:
            continue
        rule = rules.get(name)
        if rule is None:
            if passthrough:
                out[name] = value
            continue
        if isinstance(rule, str):
            if rule:
                out[rule] = value
            continue
        target = str(rule.get("to", name))
        if not target:
            continue
        values: Mapping[str, Any] = rule.get("values", {})
        if isinstance(value, str | int | float | bool) and str(value) in values:
            value = values[str(value)]
        transform = rule.get("transform")
        if transform is not None:
            value = TRANSFORMS[transform](value)
        out[target] = value
    return out
