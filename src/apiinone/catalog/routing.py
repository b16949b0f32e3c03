"""Variants and modes: which upstream binding a request needs.

A provider channel binds a model's *variants* and *modes* to upstream ids
(``providers/bindings.py``). Both axes are defined here, once per model, from the catalog:

- the **variant** is the catalog's variant (the ``model`` sub-model), or, for a model whose
  tiers are a parameter, that parameter's value (``[models.routing] variant_param``: Kling
  3's ``mode`` std/pro, Flux 2's ``type`` pro/flex); a model with neither has no variant;
- the **mode** is read from the request by ordered rules (``[models.routing] modes``): the
  first rule that holds names it, e.g. ``image`` given → ``image-to-video``, else
  ``text-to-video``; a model without rules has no mode.

In the catalog file::

    [models.routing]
    variant_param = "mode"
    modes = [
      { mode = "image-to-video", present = "image" },
      { mode = "edit", equals = { type = "edit" } },
      { mode = "text-to-video" },              # the last rule has no condition
    ]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .reader import TableReader
from .spec import ModelSpec, ModeRule, ParamSpec, Routing, Variants

__all__ = [
    "RouteKey",
    "mode_axis",
    "parse_routing",
    "route_keys",
    "route_of",
    "variant_axis",
]

_MODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_EMPTY: tuple[object, ...] = (None, "", [], {})


@dataclass(frozen=True, slots=True, order=True)
class RouteKey:
    """One variant in one mode of a model (``None`` where the model has no such axis)."""

    variant: str | None = None
    mode: str | None = None

    def __str__(self) -> str:
        return "/".join(part for part in (self.variant, self.mode) if part) or "*"

    def describe(self, model: str) -> str:
        """``kling-3 variant 'pro' in mode 'image-to-video'`` for a message."""
        parts = [f"'{model}'"]
        if self.variant is not None:
            parts.append(f"variant '{self.variant}'")
        if self.mode is not None:
            parts.append(f"in mode '{self.mode}'")
        return " ".join(parts)


def variant_axis(model: ModelSpec) -> tuple[str, ...]:
    """The model's variants: the catalog's, or ``variant_param``'s values; none is ``()``."""
    if model.variants is not None:
        return model.variants.values
    param = model.routing.variant_param
    if param is None:
        return ()
    return tuple(str(value) for value in model.params[param].enum or ())


def mode_axis(model: ModelSpec) -> tuple[str, ...]:
    """The model's modes, the default (the last rule's) first; ``()`` without rules."""
    rules = model.routing.modes
    return tuple(dict.fromkeys(rule.mode for rule in (*rules[-1:], *rules[:-1])))


def route_keys(model: ModelSpec) -> list[RouteKey]:
    """Every variant in every mode of the model, in catalog order."""
    variants: tuple[str | None, ...] = variant_axis(model) or (None,)
    modes: tuple[str | None, ...] = mode_axis(model) or (None,)
    return [RouteKey(variant, mode) for variant in variants for mode in modes]


def route_of(model: ModelSpec, variant: str | None, params: Mapping[str, object]) -> RouteKey:
    """The variant and mode of a validated request (params with defaults filled in)."""
    routing = model.routing
    chosen: str | None
    if model.variants is not None:
        chosen = variant if variant is not None else model.variants.default
    elif routing.variant_param is not None:
        spec = model.params[routing.variant_param]
        value = params.get(routing.variant_param, spec.default)
        chosen = None if value is None else str(value)
    else:
        chosen = None
    mode = next((rule.mode for rule in routing.modes if _holds(rule, model, params)), None)
    return RouteKey(chosen, mode)


def _holds(rule: ModeRule, model: ModelSpec, params: Mapping[str, object]) -> bool:
    if rule.present is not None and params.get(rule.present) in _EMPTY:
        return False
    if rule.equals is not None:
        name, wanted = rule.equals
        value = params.get(name, model.params[name].default)
        if value != wanted:
            return False
    return True


def parse_routing(
    raw: object, *, model: str, params: Mapping[str, ParamSpec], variants: Variants | None
) -> Routing:
    """Read ``[models.routing]``, checking every name it uses against the model."""
    r = TableReader(
        raw, model=model, where="routing", allowed=frozenset({"variant_param", "modes"})
    )
    variant_param = r.opt_text("variant_param")
    if variant_param is not None:
        spec = params.get(variant_param)
        if variants is not None:
            raise r.error("a model with [models.variants] takes no variant_param", "variant_param")
        if spec is None or not spec.enum:
            raise r.error(f"'{variant_param}' is not a parameter with an enum", "variant_param")
    rules = [_rule(entry, i, r, params) for i, entry in enumerate(r.tables("modes"))]
    if rules:
        last = rules[-1]
        if last.present is not None or last.equals is not None:
            raise r.error("the last rule is the default: it takes no condition", "modes")
        if any(rule.present is None and rule.equals is None for rule in rules[:-1]):
            raise r.error("only the last rule may have no condition", "modes")
    names = {rule.mode for rule in rules}
    axis = set(variants.values if variants else ())
    if variant_param is not None:
        axis = {str(v) for v in params[variant_param].enum or ()}
    clash = sorted(names & axis)
    if clash:
        raise r.error(f"a mode may not share its name with a variant: {clash}", "modes")
    return Routing(variant_param=variant_param, modes=tuple(rules))


def _rule(entry: object, index: int, r: TableReader, params: Mapping[str, ParamSpec]) -> ModeRule:
    where = f"routing.modes[{index}]"
    t = TableReader(
        entry, model=r.model, where=where, allowed=frozenset({"mode", "present", "equals"})
    )
    mode = t.text("mode")
    if not _MODE.fullmatch(mode):
        raise t.error(f"'{mode}' is not a valid mode name (letters, digits, . _ -)", "mode")
    present = t.opt_text("present")
    if present is not None and present not in params:
        raise t.error(f"'{present}' is not a parameter of the model", "present")
    equals = None
    if t.has("equals"):
        table = t.table("equals")
        if len(table) != 1:
            raise t.error("must name one parameter and its value", "equals")
        ((name, value),) = table.items()
        spec = params.get(name)
        if spec is None or not isinstance(value, str | int | float | bool):
            raise t.error(f"'{name}' must be a parameter and its value a scalar", "equals")
        if spec.enum is not None and value not in spec.enum:
            raise t.error(f"{value!r} is not one of {name}'s values", "equals")
        equals = (name, value)
    return ModeRule(mode=mode, present=present, equals=equals)
