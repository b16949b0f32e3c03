"""What a price rule can look up: table keys, their domains, and character fields."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .spec import ParamSpec, Scalar, Variants
from .values import show

__all__ = ["VARIANT_KEY", "field_param", "key_domain", "strings_at", "table_key"]

VARIANT_KEY = "variant"


def table_key(values: tuple[object, ...]) -> str:
    """The ``"pro|1K"`` key of one table row; booleans read ``true``/``false``."""
    return "|".join(show(v) for v in values)


def key_domain(
    params: Mapping[str, ParamSpec], variants: Variants | None, key: str
) -> tuple[Scalar, ...] | None:
    """Every value a price key can take, or ``None`` when it is not a finite set."""
    if key == VARIANT_KEY:
        return variants.values if variants is not None else None
    spec = params.get(key)
    if spec is None:
        return None
    if spec.type == "boolean":
        return (False, True)
    return spec.enum


def field_param(params: Mapping[str, ParamSpec], path: str) -> ParamSpec | None:
    """The param at a ``dialogue[].text`` path, or ``None`` if the path leads nowhere."""
    spec: ParamSpec | None = None
    fields: Mapping[str, ParamSpec] = params
    for segment in path.split("."):
        many = segment.endswith("[]")
        spec = fields.get(segment.removesuffix("[]"))
        if spec is None:
            return None
        if many:
            if spec.type != "array" or spec.items is None:
                return None
            spec = spec.items
        fields = spec.properties
    return spec


def strings_at(values: object, path: str) -> Iterator[str]:
    """Every string found at a ``dialogue[].text`` path of validated params."""
    head, _, rest = path.partition(".")
    many = head.endswith("[]")
    if not isinstance(values, dict):
        return
    found = values.get(head.removesuffix("[]"))
    nodes = found if many and isinstance(found, list) else [found]
    for node in nodes:
        if rest:
            yield from strings_at(node, rest)
        elif isinstance(node, str):
            yield node
