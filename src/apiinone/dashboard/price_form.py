"""The admin console's price form: a model's price rule as fields, and back.

A rule is one of four kinds, as the catalog's rules are: ``fixed`` (``base`` credits),
``table`` (credits per combination of the priced parameters' values), ``per_characters``
(credits per N characters of a text field) and ``tokens`` (chat: rates per million input
and output tokens). Fixed and table rules may be multiplied by a numeric parameter
(``per``, e.g. seconds of video) and by multipliers. The form reads the submitted fields,
checks each one (errors keyed by field name) and gives the ``[models.price]`` table the
overrides store; the catalog's own parser then checks the whole rule. :func:`preview`
prices sample requests under a candidate rule with the catalog's pricing, as quotes do.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from apiinone.catalog import Catalog, CatalogError, ModelSpec, price_request, validate_request
from apiinone.catalog.parse_price import parse_price
from apiinone.catalog.price_keys import VARIANT_KEY, key_domain, table_key
from apiinone.catalog.values import show
from apiinone.chat.billing import plan_hold
from apiinone.dashboard.examples import example_body
from apiinone.errors import APIError

__all__ = [
    "KINDS",
    "FormInvalid",
    "PriceForm",
    "form_from_fields",
    "form_from_price",
    "multiplier_params",
    "per_params",
    "preview",
    "price_from_form",
    "table_key_params",
    "table_rows",
]

KINDS = ("fixed", "table", "per_characters", "tokens")
MAX_MULTIPLIERS = 8
_INTEGER = re.compile(r"^-?[0-9]{1,15}$")
# Keys the form does not edit but an override keeps as the rule in force has them.
_KEPT = ("operator_set", "documented_range")


class FormInvalid(Exception):
    """Errors keyed by form field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class PriceForm:
    """The form's fields as text, as shown and as submitted."""

    kind: str = "fixed"
    base: str = ""
    table_keys: list[str] = field(default_factory=list)
    table: dict[str, str] = field(default_factory=dict)
    per: str = ""
    multipliers: list[dict[str, str]] = field(default_factory=list)
    chars_field: str = ""
    chars_per: str = ""
    chars_credits: str = ""
    input_per_million: str = ""
    output_per_million: str = ""
    default_max_tokens: str = ""
    minimum: str = ""
    price_note: str = ""


def _text(value: object) -> str:
    return "" if value is None else show(value) if isinstance(value, bool) else str(value)


def form_from_price(price: Mapping[str, Any]) -> PriceForm:
    """The fields prefilled from a ``[models.price]`` table."""
    tokens = price.get("tokens") if isinstance(price.get("tokens"), dict) else None
    chars = price.get("per_characters") if isinstance(price.get("per_characters"), dict) else None
    if tokens is not None:
        kind = "tokens"
    elif chars is not None:
        kind = "per_characters"
    elif price.get("table"):
        kind = "table"
    else:
        kind = "fixed"
    table = price.get("table") if isinstance(price.get("table"), dict) else {}
    return PriceForm(
        kind=kind,
        base=_text(price.get("base")),
        table_keys=[str(k) for k in price.get("table_keys", [])],
        table={str(k): _text(v) for k, v in (table or {}).items()},
        per=_text(price.get("per")),
        multipliers=[
            {
                "param": _text(m.get("param")),
                "equals": _text(m.get("equals")),
                "num": _text(m.get("num")),
                "den": _text(m.get("den", 1)),
            }
            for m in price.get("multipliers", [])
            if isinstance(m, dict)
        ],
        chars_field=_text((chars or {}).get("field")),
        chars_per=_text((chars or {}).get("per")),
        chars_credits=_text((chars or {}).get("credits")),
        input_per_million=_text((tokens or {}).get("input_per_million")),
        output_per_million=_text((tokens or {}).get("output_per_million")),
        default_max_tokens=_text((tokens or {}).get("default_max_tokens")),
        minimum=_text(price.get("minimum", "")),
        price_note=_text(price.get("price_note", "")),
    )


Fields = Mapping[str, str | list[str]]


def _one(fields: Fields, name: str) -> str:
    value = fields.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return value.strip()[:2000] if isinstance(value, str) else ""


def _many(fields: Fields, name: str) -> list[str]:
    value = fields.get(name, [])
    values = value if isinstance(value, list) else [value]
    return [v.strip()[:200] for v in values if isinstance(v, str) and v.strip()][:8]


def form_from_fields(fields: Fields) -> PriceForm:
    """The fields as submitted (``row:<key>`` per table row, ``mult_<part>_<n>``)."""
    multipliers = []
    for i in range(MAX_MULTIPLIERS):
        parts = {p: _one(fields, f"mult_{p}_{i}") for p in ("param", "equals", "num", "den")}
        if parts["param"]:
            multipliers.append(parts)
    return PriceForm(
        kind=_one(fields, "kind") or "fixed",
        base=_one(fields, "base"),
        table_keys=_many(fields, "table_keys"),
        table={k[4:]: _one(fields, k) for k in list(fields)[:2000] if k.startswith("row:")},
        per=_one(fields, "per"),
        multipliers=multipliers,
        chars_field=_one(fields, "chars_field"),
        chars_per=_one(fields, "chars_per"),
        chars_credits=_one(fields, "chars_credits"),
        input_per_million=_one(fields, "input_per_million"),
        output_per_million=_one(fields, "output_per_million"),
        default_max_tokens=_one(fields, "default_max_tokens"),
        minimum=_one(fields, "minimum"),
        price_note=_one(fields, "price_note"),
    )


# ── what the model offers ──────────────────────────────────────────────────────────────


def table_key_params(model: ModelSpec) -> list[str]:
    """Keys a table can be priced by: the variant, enum and boolean params with a value."""
    keys = [VARIANT_KEY] if model.variants is not None else []
    for name, spec in model.params.items():
        if key_domain(model.params, model.variants, name) is None:
            continue
        if spec.default is not None or spec.required:
            keys.append(name)
    return keys


def multiplier_params(model: ModelSpec) -> list[tuple[str, list[str]]]:
    """Params a multiplier can test, each with the values it can take (as text)."""
    found = []
    for key in ([VARIANT_KEY] if model.variants is not None else []) + list(model.params):
        domain = key_domain(model.params, model.variants, key)
        if domain is not None:
            found.append((key, [show(v) for v in domain]))
    return found


def per_params(model: ModelSpec) -> list[str]:
    """Numeric params a price can be multiplied by (seconds, images)."""
    return [
        name
        for name, spec in model.params.items()
        if spec.type in ("integer", "number")
        and (spec.default is not None or spec.required)
        and (spec.enum is not None or spec.maximum is not None)
    ]


def table_rows(model: ModelSpec, keys: list[str]) -> list[tuple[str, dict[str, str]]]:
    """One row per combination of the keys' values: ``("pro|1K", {"type": "pro", ...})``."""
    domains = [key_domain(model.params, model.variants, k) or () for k in keys]
    return [
        (table_key(combo), {k: show(v) for k, v in zip(keys, combo, strict=True)})
        for combo in itertools.product(*domains)
    ][:500]


# ── fields → price table ───────────────────────────────────────────────────────────────


def _integer(errors: dict[str, str], name: str, text: str, *, low: int = 0) -> int:
    if not text:
        errors[name] = "is required"
        return 0
    if not _INTEGER.match(text):
        errors[name] = "must be a whole number of credits" if low == 0 else "must be a whole number"
        return 0
    value = int(text)
    if value < low:
        errors[name] = f"must be {low} or more"
    return value


def _equals(model: ModelSpec, param: str, text: str) -> object:
    for value in key_domain(model.params, model.variants, param) or ():
        if show(value) == text:
            return value
    return None


def price_from_form(
    model: ModelSpec, form: PriceForm, current: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``[models.price]`` table the form describes, or :class:`FormInvalid`."""
    errors: dict[str, str] = {}
    price: dict[str, Any] = {}
    allowed = ("tokens",) if model.kind == "chat" else ("fixed", "table", "per_characters")
    if form.kind not in allowed:
        raise FormInvalid({"kind": f"must be one of {', '.join(allowed)} for this model"})
    if form.kind == "tokens":
        price["tokens"] = {
            "input_per_million": _integer(errors, "input_per_million", form.input_per_million),
            "output_per_million": _integer(errors, "output_per_million", form.output_per_million),
            "default_max_tokens": _integer(
                errors, "default_max_tokens", form.default_max_tokens, low=1
            ),
        }
    elif form.kind == "per_characters":
        price["per_characters"] = {
            "field": form.chars_field,
            "per": _integer(errors, "chars_per", form.chars_per, low=1),
            "credits": _integer(errors, "chars_credits", form.chars_credits),
        }
        if not form.chars_field:
            errors["chars_field"] = "is required"
    else:
        if form.kind == "fixed":
            price["base"] = _integer(errors, "base", form.base)
        else:
            _table(model, form, price, errors)
        if form.per:
            if form.per not in per_params(model):
                errors["per"] = f"'{form.per[:60]}' is not a numeric parameter of this model"
            price["per"] = form.per
        multipliers = []
        params = dict(multiplier_params(model))
        for i, m in enumerate(form.multipliers):
            if m["param"] not in params:
                errors[f"mult_param_{i}"] = f"'{m['param'][:60]}' is not a priced parameter"
                continue
            equals = _equals(model, m["param"], m["equals"])
            if equals is None:
                errors[f"mult_equals_{i}"] = f"must be one of {', '.join(params[m['param']])}"
            entry: dict[str, Any] = {"param": m["param"], "equals": equals}
            entry["num"] = _integer(errors, f"mult_num_{i}", m["num"])
            entry["den"] = _integer(errors, f"mult_den_{i}", m["den"] or "1", low=1)
            multipliers.append(entry)
        if multipliers:
            price["multipliers"] = multipliers
    if form.minimum:
        price["minimum"] = _integer(errors, "minimum", form.minimum)
    if form.price_note:
        price["price_note"] = form.price_note
    for key in _KEPT:
        if key in current:
            price[key] = current[key]
    if errors:
        raise FormInvalid(errors)
    return price


def _table(
    model: ModelSpec, form: PriceForm, price: dict[str, Any], errors: dict[str, str]
) -> None:
    options = table_key_params(model)
    keys = [k for k in form.table_keys if k in options]
    if not keys or len(keys) != len(form.table_keys):
        errors["table_keys"] = f"choose one or more of {', '.join(options) or '(none)'}"
        return
    table = {}
    for key, _ in table_rows(model, keys):
        text = form.table.get(key, "")
        if not text:
            errors[f"row:{key}"] = "has no price"
            continue
        table[key] = _integer(errors, f"row:{key}", text)
    price["table_keys"] = keys
    price["table"] = table


def field_of(exc: CatalogError) -> str:
    """The form field a catalog error is about (``price.tokens`` → ``input_per_million``)."""
    where = (exc.field or "").removeprefix("price").lstrip(".")
    head = where.split(".")[0].split("[")[0]
    if where.startswith("table."):
        return "row:" + where.removeprefix("table.")
    return {
        "tokens": "input_per_million",
        "per_characters": "chars_field",
        "multipliers": "mult_param_0",
    }.get(head, head or "kind")


def candidate(model: ModelSpec, price: Mapping[str, Any]) -> ModelSpec:
    """The model with ``price`` as its rule, checked by the catalog's parser."""
    try:
        rule = parse_price(
            dict(price),
            model=model.slug,
            kind=model.kind,
            params=model.params,
            variants=model.variants,
        )
    except CatalogError as exc:
        raise FormInvalid({field_of(exc): str(exc)}) from exc
    return dataclasses.replace(model, price=rule)


# ── preview ────────────────────────────────────────────────────────────────────────────


def samples(model: ModelSpec, price: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The example request, then one per value of each priced parameter."""
    body = example_body(model)
    found = [("example request", body)]
    keys = [*price.get("table_keys", []), *(m["param"] for m in price.get("multipliers", []))]
    if price.get("per"):
        keys.append(price["per"])
    for key in dict.fromkeys(keys):
        spec = model.params.get(key)
        domain = key_domain(model.params, model.variants, key)
        if domain is None and spec is not None:
            low = spec.minimum if spec.minimum is not None else 1
            domain = tuple(v for v in (low, spec.maximum) if v is not None)
        for value in domain or ():
            name = "model" if key == VARIANT_KEY else key
            found.append((f"{key} = {show(value)}", {**body, name: value}))
    return found[:24]


def preview(catalog: Catalog, model: ModelSpec, priced: ModelSpec) -> list[dict[str, Any]]:
    """Credits of each sample request under ``priced``'s rule, priced as quotes prices."""
    rows: list[dict[str, Any]] = []
    for label, body in samples(model, _price_dict(priced)):
        try:
            validated = validate_request(catalog, model.endpoint, body)
        except APIError as exc:
            rows.append({"label": label, "body": body, "credits": None, "error": exc.message})
            continue
        if priced.kind == "chat":
            credits = plan_hold(priced, validated.params).amount
        else:
            credits = price_request(priced, validated)
        rows.append({"label": label, "body": body, "credits": credits, "error": None})
    return rows


def _price_dict(model: ModelSpec) -> dict[str, Any]:
    rule = model.price
    return {
        "table_keys": list(rule.table_keys),
        "multipliers": [{"param": m.param} for m in rule.multipliers],
        "per": rule.per,
    }
