"""Check request values against :class:`ParamSpec`, normalising them on the way."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from apiinone.errors import InvalidRequest

from .spec import ParamSpec, Scalar

__all__ = [
    "NUMERIC_STRING_PATTERN",
    "URL_MAX_LENGTH",
    "URL_PATTERN",
    "check_fields",
    "check_json",
    "check_value",
    "condition_holds",
    "same_value",
    "show",
]

URL_MAX_LENGTH = 2048
URL_PATTERN = r"^https?://[^\s/?#\x00-\x1f\x7f]+[^\s\x00-\x1f\x7f]*$"
NUMERIC_STRING_PATTERN = r"^[0-9]{1,10}$"
_MAX_DEPTH = 32

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
}


def show(value: object) -> str:
    """A value as the docs write it (``true`` rather than ``True``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_value(spec: ParamSpec, value: object, path: str) -> object:
    """Return ``value`` normalised for ``spec`` or raise :class:`InvalidRequest` at ``path``."""
    if spec.type == "string":
        return _check_string(spec, value, path)
    if spec.type in ("integer", "number"):
        return _check_numeric(spec, value, path)
    if spec.type == "boolean":
        if not isinstance(value, bool):
            raise _type_error(spec, path)
        return value
    if spec.type == "array":
        return _check_array(spec, value, path)
    if spec.type == "object":
        return _check_object(spec, value, path)
    return _check_any_of(spec, value, path)


def check_fields(
    props: Mapping[str, ParamSpec],
    data: Mapping[str, object],
    prefix: str,
    *,
    variant: str | None,
    additional: bool,
    also_allowed: tuple[str, ...] = (),
) -> dict[str, object]:
    """Check an object's fields: unknown names, each value, defaults, required fields."""
    extra: dict[str, object] = {}
    for key, raw in data.items():
        if key in props:
            continue
        path = _join(prefix, key)
        if not additional:
            allowed = ", ".join((*also_allowed, *props))
            raise InvalidRequest(f"Unknown field '{path}'. Allowed fields: {allowed}", param=path)
        extra[key] = _check_json(raw, path, 0)
    out: dict[str, object] = {}
    for name, spec in props.items():
        path = _join(prefix, name)
        given = data.get(name)
        if given is not None:
            out[name] = check_value(spec, given, path)
        elif name in data and not spec.nullable:
            raise _type_error(spec, path)
        elif spec.default is not None:
            out[name] = spec.default
        elif spec.required:
            raise InvalidRequest(f"'{path}' is required", param=path)
    for name, spec in props.items():
        if name in out or not spec.required_when:
            continue
        if all(condition_holds(key, want, out, variant) for key, want in spec.required_when):
            path = _join(prefix, name)
            when = " and ".join(
                f"{'model' if key == 'variant' else key} is {show(want)}"
                for key, want in spec.required_when
            )
            raise InvalidRequest(f"'{path}' is required when {when}", param=path)
    out.update(extra)
    return out


def condition_holds(
    key: str, want: Scalar, values: Mapping[str, object], variant: str | None
) -> bool:
    """Whether ``key`` (a param, or ``"variant"``) currently equals ``want``."""
    return same_value(variant if key == "variant" else values.get(key), want)


def same_value(have: object, want: object) -> bool:
    """Equality that keeps booleans apart from the integers 0 and 1."""
    if isinstance(have, bool) or isinstance(want, bool):
        return have is want
    return have == want


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _type_error(spec: ParamSpec, path: str) -> InvalidRequest:
    if spec.numeric_string_enum:
        return _enum_error(spec, path)
    return InvalidRequest(f"'{path}' must be {_TYPE_NAMES[spec.type]}", param=path)


def _enum_error(spec: ParamSpec, path: str) -> InvalidRequest:
    allowed = ", ".join(show(v) for v in spec.enum or ())
    return InvalidRequest(f"'{path}' must be one of {allowed}", param=path)


def _check_string(spec: ParamSpec, value: object, path: str) -> str:
    if spec.numeric_string_enum and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _type_error(spec, path)
    if spec.enum is not None:
        if value not in spec.enum:
            raise _enum_error(spec, path)
        return value
    if spec.format == "url" and not _is_url(value, spec.max_length or URL_MAX_LENGTH):
        raise InvalidRequest(
            f"'{path}' must be an http or https URL of at most {spec.max_length} characters",
            param=path,
        )
    low, high = spec.min_length, spec.max_length
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        if low is not None and high is not None:
            bound = f"{low} to {high}" if low else f"at most {high}"
        else:
            bound = f"at least {low}" if low is not None else f"at most {high}"
        raise InvalidRequest(f"'{path}' must be {bound} characters long", param=path)
    if spec.pattern is not None and re.fullmatch(spec.pattern, value) is None:
        raise InvalidRequest(f"'{path}' must match the pattern {spec.pattern}", param=path)
    return value


def _is_url(value: str, max_length: int) -> bool:
    if len(value) > max_length or re.fullmatch(URL_PATTERN, value) is None:
        return False
    try:
        return urlsplit(value).hostname is not None
    except ValueError:
        return False


def _as_number(spec: ParamSpec, value: object) -> int | float | None:
    if isinstance(value, bool):
        return None
    if spec.type == "integer":
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        numeric = isinstance(value, str) and re.fullmatch(NUMERIC_STRING_PATTERN, value)
        if spec.accept_numeric_string and numeric:
            return int(str(value))
        return None
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    return None


def _check_numeric(spec: ParamSpec, value: object, path: str) -> int | float:
    number = _as_number(spec, value)
    if number is None:
        raise _type_error(spec, path)
    if spec.enum is not None:
        if number not in spec.enum:
            raise _enum_error(spec, path)
        return number
    low, high, above = spec.minimum, spec.maximum, spec.exclusive_minimum
    if above is not None and number <= above:
        raise InvalidRequest(f"'{path}' must be greater than {above}", param=path)
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            bound = f"between {low} and {high}"
        else:
            bound = f"at least {low}" if low is not None else f"at most {high}"
        raise InvalidRequest(f"'{path}' must be {bound}", param=path)
    return number


def _check_array(spec: ParamSpec, value: object, path: str) -> list[object]:
    if not isinstance(value, list):
        raise _type_error(spec, path)
    if spec.min_items is not None and len(value) < spec.min_items:
        raise InvalidRequest(f"'{path}' must have at least {spec.min_items} item(s)", param=path)
    if spec.max_items is not None and len(value) > spec.max_items:
        raise InvalidRequest(f"'{path}' must have at most {spec.max_items} items", param=path)
    if spec.items is None:
        return [_check_json(item, f"{path}[{i}]", 1) for i, item in enumerate(value)]
    return [check_value(spec.items, item, f"{path}[{i}]") for i, item in enumerate(value)]


def _check_object(spec: ParamSpec, value: object, path: str) -> dict[str, object]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise _type_error(spec, path)
    return check_fields(
        spec.properties, value, path, variant=None, additional=spec.additional_properties
    )


def _matches_type(spec: ParamSpec, value: object) -> bool:
    if spec.type == "string":
        return isinstance(value, str) or (
            spec.numeric_string_enum and isinstance(value, int) and not isinstance(value, bool)
        )
    if spec.type in ("integer", "number"):
        return _as_number(spec, value) is not None
    if spec.type == "boolean":
        return isinstance(value, bool)
    if spec.type == "array":
        return isinstance(value, list)
    if spec.type == "object":
        return isinstance(value, dict)
    return any(_matches_type(alt, value) for alt in spec.any_of)


def _check_any_of(spec: ParamSpec, value: object, path: str) -> object:
    first_error: InvalidRequest | None = None
    for alt in spec.any_of:
        if not _matches_type(alt, value):
            continue
        try:
            return check_value(alt, value, path)
        except InvalidRequest as exc:
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    kinds = " or ".join(_TYPE_NAMES.get(alt.type, "another shape") for alt in spec.any_of)
    raise InvalidRequest(f"'{path}' must be {kinds}", param=path)


def check_json(value: object, path: str) -> object:
    """A free-form value checked as JSON: finite numbers, bounded nesting."""
    return _check_json(value, path, 0)


def _check_json(value: object, path: str, depth: int) -> object:
    """A free-form value: any JSON, finite numbers, bounded nesting."""
    if depth > _MAX_DEPTH:
        raise InvalidRequest(f"'{path}' is nested too deeply", param=path)
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidRequest(f"'{path}' must be a finite number", param=path)
        return value
    if isinstance(value, list):
        return [_check_json(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _check_json(v, f"{path}.{k}", depth + 1) for k, v in value.items()}
    raise InvalidRequest(f"'{path}' must be a JSON value", param=path)
