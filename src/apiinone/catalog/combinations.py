"""Rules across fields, where the upstream is narrower than each field alone.

A model's ``[models]`` table may carry::

    refuse_together = [{ resolution = "1080P", duration = "10" }]   # never all at once
    needs = { prompt = ["style"] }              # given prompt, style must be given too

Both are checked after each field is valid and defaults are filled in, so a client gets a
400 naming the field before any credit is held.
"""

from __future__ import annotations

from collections.abc import Mapping

from apiinone.errors import InvalidRequest

from .reader import TableReader
from .spec import ModelSpec, ParamSpec, Scalar
from .values import same_value

__all__ = [
    "check_combinations",
    "parse_needs",
    "parse_refuse_together",
    "refused",
    "schema_rules",
]


def parse_refuse_together(
    r: TableReader, params: Mapping[str, ParamSpec]
) -> tuple[tuple[tuple[str, Scalar], ...], ...]:
    out = []
    for i, combo in enumerate(r.tables("refuse_together")):
        where = f"refuse_together[{i}]"
        if not isinstance(combo, dict) or len(combo) < 2:
            raise r.error("each entry must name two or more fields and values", where)
        pairs = []
        for name, value in combo.items():
            spec = params.get(name)
            if spec is None or not isinstance(value, str | int | float | bool):
                raise r.error(f"'{name}' is not a parameter with a plain value", where)
            if spec.enum is not None and not any(same_value(value, v) for v in spec.enum):
                raise r.error(f"{value!r} is not one of {name}'s values", where)
            pairs.append((str(name), value))
        out.append(tuple(pairs))
    return tuple(out)


def parse_needs(
    r: TableReader, params: Mapping[str, ParamSpec]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for name, wanted in r.table("needs").items():
        if (
            name not in params
            or not isinstance(wanted, list)
            or not wanted
            or not all(isinstance(w, str) and w in params for w in wanted)
        ):
            raise r.error("each entry maps a parameter to a list of parameters", f"needs.{name}")
        out.append((str(name), tuple(str(w) for w in wanted)))
    return tuple(out)


def refused(model: ModelSpec, values: Mapping[str, object]) -> tuple[tuple[str, Scalar], ...]:
    """The refused combination ``values`` holds (every field of it present), or ``()``."""
    for combo in model.refuse_together:
        if all(name in values and same_value(values[name], want) for name, want in combo):
            return combo
    return ()


def check_combinations(model: ModelSpec, params: Mapping[str, object]) -> None:
    """Raise :class:`InvalidRequest` naming the field of a combination the model refuses."""
    combo = refused(model, params)
    if combo:
        shown = " with ".join(f"{name} {value!r}" for name, value in combo)
        raise InvalidRequest(
            f"{model.display_name} does not offer {shown}; change one of them",
            param=combo[-1][0],
        )
    for name, wanted in model.needs:
        if params.get(name) is None:
            continue
        for other in wanted:
            if params.get(other) is None:
                raise InvalidRequest(f"'{other}' is required when '{name}' is given", param=other)


def schema_rules(model: ModelSpec) -> list[dict[str, object]]:
    """The same rules as JSON Schema, for the model's published request schema."""
    rules: list[dict[str, object]] = []
    for combo in model.refuse_together:
        rules.append(
            {
                "not": {
                    "required": [name for name, _ in combo],
                    "properties": {name: {"const": value} for name, value in combo},
                }
            }
        )
    for name, wanted in model.needs:
        rules.append({"if": {"required": [name]}, "then": {"required": list(wanted)}})
    return rules
