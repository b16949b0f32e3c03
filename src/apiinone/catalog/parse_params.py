"""Build :class:`ParamSpec` trees from the TOML ``params`` tables, checking each one."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from apiinone.errors import InvalidRequest

from .errors import CatalogError
from .reader import TableReader
from .spec import PARAM_TYPES, ParamSpec, ParamType, Scalar
from .values import URL_MAX_LENGTH, check_value

__all__ = ["DEFAULT_MAX_ITEMS", "DEFAULT_MAX_LENGTH", "parse_fields"]

DEFAULT_MAX_LENGTH = 5000
DEFAULT_MAX_ITEMS = 16

_COMMON = frozenset({"type", "description", "required", "required_when", "default", "nullable"})
_BY_TYPE: dict[ParamType, frozenset[str]] = {
    "string": frozenset({"enum", "min_length", "max_length", "pattern", "format"}),
    "integer": frozenset(
        {"enum", "minimum", "maximum", "exclusive_minimum", "accept_numeric_string"}
    ),
    "number": frozenset({"enum", "minimum", "maximum", "exclusive_minimum"}),
    "boolean": frozenset(),
    "array": frozenset({"items", "min_items", "max_items"}),
    "object": frozenset({"properties", "additional_properties"}),
    "any_of": frozenset({"any_of"}),
}
_ENUM_TYPES: dict[ParamType, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
}


def parse_fields(
    raw: Mapping[str, object], *, model: str, where: str, variants: tuple[str, ...] | None
) -> dict[str, ParamSpec]:
    """Parse sibling params, then check their ``required_when`` against each other.

    ``variants`` are the model's variant names at the top level (``None`` inside objects,
    where ``variant`` conditions are refused).
    """
    fields = {
        name: _parse_param(name, value, model=model, where=f"{where}.{name}")
        for name, value in raw.items()
    }
    return {
        name: _with_conditions(
            spec, fields, model=model, where=f"{where}.{name}", variants=variants
        )
        for name, spec in fields.items()
    }


def _parse_param(name: str, raw: object, *, model: str, where: str) -> ParamSpec:
    if not isinstance(raw, dict):
        raise CatalogError("must be a table", model=model, field=where)
    kind = raw.get("type", "any_of" if "any_of" in raw else None)
    if kind not in PARAM_TYPES:
        raise CatalogError(
            f"type must be one of {', '.join(PARAM_TYPES)}", model=model, field=f"{where}.type"
        )
    ptype: ParamType = kind
    r = TableReader(raw, model=model, where=where, allowed=_COMMON | _BY_TYPE[ptype])
    enum = r.scalars("enum")
    if enum is not None:
        _check_enum(r, ptype, enum)
    fmt = r.opt_text("format")
    if fmt not in (None, "url"):
        raise r.error("the only format is 'url'", "format")
    if fmt == "url" and r.has("pattern"):
        raise r.error("a url has its own pattern; give one of format and pattern", "pattern")
    pattern = r.opt_text("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise r.error(f"is not a valid regular expression ({exc})", "pattern") from exc
    spec = ParamSpec(
        name=name,
        type=ptype,
        description=r.text("description", ""),
        required=r.flag("required"),
        default=r.scalar("default"),
        enum=enum,
        minimum=r.number("minimum"),
        maximum=r.number("maximum"),
        exclusive_minimum=r.number("exclusive_minimum"),
        min_length=r.opt_integer("min_length"),
        max_length=_max_length(r, ptype, fmt),
        pattern=pattern,
        format="url" if fmt == "url" else None,
        items=_parse_param(name, r.raw["items"], model=model, where=r.field("items"))
        if r.has("items")
        else None,
        min_items=r.opt_integer("min_items"),
        max_items=r.integer("max_items", DEFAULT_MAX_ITEMS) if ptype == "array" else None,
        properties=parse_fields(
            r.table("properties"), model=model, where=r.field("properties"), variants=None
        ),
        additional_properties=r.flag("additional_properties"),
        any_of=_parse_alternatives(name, r),
        accept_numeric_string=r.flag("accept_numeric_string"),
        nullable=r.flag("nullable"),
        required_when=_raw_conditions(r),
    )
    _check_bounds(r, spec)
    return _with_checked_default(r, spec)


def _max_length(r: TableReader, ptype: ParamType, fmt: str | None) -> int | None:
    if ptype != "string":
        return None
    if fmt == "url":
        length = r.integer("max_length", URL_MAX_LENGTH)
        if length > URL_MAX_LENGTH:
            raise r.error(f"a url is at most {URL_MAX_LENGTH} characters", "max_length")
        return length
    return r.integer("max_length", DEFAULT_MAX_LENGTH)


def _parse_alternatives(name: str, r: TableReader) -> tuple[ParamSpec, ...]:
    if not r.has("any_of"):
        return ()
    alternatives = r.tables("any_of")
    if len(alternatives) < 2:
        raise r.error("needs at least two alternatives", "any_of")
    return tuple(
        _parse_param(name, alt, model=r.model, where=f"{r.field('any_of')}[{i}]")
        for i, alt in enumerate(alternatives)
    )


def _check_enum(r: TableReader, ptype: ParamType, enum: tuple[Scalar, ...]) -> None:
    allowed = _ENUM_TYPES.get(ptype)
    if allowed is None:
        raise r.error(f"does not apply to type {ptype}", "enum")
    if not enum or len(set(enum)) != len(enum):
        raise r.error("must list distinct values", "enum")
    for value in enum:
        if isinstance(value, bool) or not isinstance(value, allowed):
            raise r.error(f"value {value!r} is not of type {ptype}", "enum")


def _check_bounds(r: TableReader, spec: ParamSpec) -> None:
    pairs = (
        ("minimum", spec.minimum, spec.maximum),
        ("min_length", spec.min_length, spec.max_length),
        ("min_items", spec.min_items, spec.max_items),
    )
    for key, low, high in pairs:
        if low is not None and high is not None and low > high:
            raise r.error("is greater than its maximum", key)
    for key, count in (
        ("min_length", spec.min_length),
        ("max_length", spec.max_length),
        ("min_items", spec.min_items),
        ("max_items", spec.max_items),
    ):
        if count is not None and count < 0:
            raise r.error("must be >= 0", key)
    if spec.accept_numeric_string and spec.minimum is not None and spec.minimum < 0:
        raise r.error("numeric strings are digits only; the minimum must be >= 0", "minimum")


def _with_checked_default(r: TableReader, spec: ParamSpec) -> ParamSpec:
    if spec.default is None:
        return spec
    if spec.type in ("array", "object", "any_of"):
        raise r.error(f"type {spec.type} takes no default", "default")
    try:
        default = check_value(spec, spec.default, spec.name)
    except InvalidRequest as exc:
        raise r.error(f"{spec.default!r} is not allowed: {exc.message}", "default") from exc
    assert isinstance(default, (str, int, float, bool))
    return dataclasses.replace(spec, default=default)


def _raw_conditions(r: TableReader) -> tuple[tuple[str, Scalar], ...]:
    conditions = []
    for key, value in r.table("required_when").items():
        if not isinstance(value, (str, int, float, bool)):
            raise r.error("values must be strings, numbers or booleans", f"required_when.{key}")
        conditions.append((key, value))
    if conditions and r.flag("required"):
        raise r.error("a required field needs no required_when", "required_when")
    return tuple(conditions)


def _with_conditions(
    spec: ParamSpec,
    siblings: Mapping[str, ParamSpec],
    *,
    model: str,
    where: str,
    variants: tuple[str, ...] | None,
) -> ParamSpec:
    checked: list[tuple[str, Scalar]] = []
    for key, want in spec.required_when:
        field = f"{where}.required_when.{key}"
        if key == "variant" and variants is not None:
            if want not in variants:
                raise CatalogError(
                    f"{want!r} is not a variant of the model", model=model, field=field
                )
            checked.append((key, want))
            continue
        other = siblings.get(key)
        if other is None or key == spec.name:
            raise CatalogError(
                "names no other parameter of the same object", model=model, field=field
            )
        try:
            value = check_value(other, want, key)
        except InvalidRequest as exc:
            raise CatalogError(
                f"{want!r} is not allowed: {exc.message}", model=model, field=field
            ) from exc
        assert isinstance(value, (str, int, float, bool))
        checked.append((key, value))
    return dataclasses.replace(spec, required_when=tuple(checked)) if checked else spec
