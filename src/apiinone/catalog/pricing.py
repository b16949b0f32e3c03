"""Exact credit prices from a model's price rule (Fraction arithmetic, one ceiling)."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping
from fractions import Fraction

from .combinations import refused
from .price_keys import VARIANT_KEY, key_domain, strings_at, table_key
from .spec import ModelSpec, PriceRule, TokenPrice
from .validate import ValidatedRequest
from .values import same_value, show

__all__ = [
    "chat_cost",
    "chat_hold",
    "estimate_prompt_tokens",
    "price_bounds",
    "price_request",
    "price_summary",
    "price_table",
]

_MILLION = 1_000_000
_CHARS_PER_TOKEN = 2

Lookup = Callable[[str], object]


def price_request(model: ModelSpec, validated: ValidatedRequest) -> int:
    """The credits a validated request costs; for chat, the hold on its worst case."""
    rule = model.price
    if rule.tokens is not None:
        max_tokens = validated.params.get(
            "max_completion_tokens", validated.params.get("max_tokens")
        )
        return chat_hold(
            model,
            estimate_prompt_tokens(validated.params),
            max_tokens if isinstance(max_tokens, int) else None,
        )
    amount = _amount(rule, _lookup(validated.params, validated.variant))
    if rule.per_characters is not None:
        chars = sum(len(s) for s in strings_at(validated.params, rule.per_characters.field))
        amount += Fraction(chars * rule.per_characters.credits, rule.per_characters.per)
    return max(math.ceil(amount), rule.minimum)


def chat_cost(model: ModelSpec, prompt_tokens: int, completion_tokens: int) -> int:
    """Credits for a finished chat: ceil((prompt x in + completion x out) / 1e6)."""
    tokens = _tokens(model)
    micro = prompt_tokens * tokens.input_per_million + completion_tokens * tokens.output_per_million
    return max(-(-micro // _MILLION), model.price.minimum)


def chat_hold(model: ModelSpec, prompt_tokens_estimate: int, max_tokens: int | None) -> int:
    """Credits to hold before a chat runs: the cost if it writes ``max_tokens`` tokens."""
    limit = _tokens(model).default_max_tokens if max_tokens is None else max_tokens
    return chat_cost(model, prompt_tokens_estimate, limit)


def estimate_prompt_tokens(params: Mapping[str, object]) -> int:
    """A generous prompt-size guess: one token per two characters of messages and tools."""
    text = json.dumps([params.get("messages"), params.get("tools")], ensure_ascii=False)
    return math.ceil(len(text) / _CHARS_PER_TOKEN)


def price_table(model: ModelSpec) -> list[dict[str, object]]:
    """Every priced combination: ``{"when": {...}, "credits": n, "per": unit | None}``."""
    rule = model.price
    if rule.tokens is not None:
        return [
            {
                "when": {"tokens": "input"},
                "credits": rule.tokens.input_per_million,
                "per": "1000000 tokens",
            },
            {
                "when": {"tokens": "output"},
                "credits": rule.tokens.output_per_million,
                "per": "1000000 tokens",
            },
        ]
    rows: list[dict[str, object]] = []
    if rule.table or rule.base is not None:
        for when in _combinations(model, _price_keys(rule)):
            amount = _amount(rule, when.get, per_unit=True)
            credits: object = int(amount) if amount.denominator == 1 else float(amount)
            rows.append({"when": when, "credits": credits, "per": rule.per})
    if rule.per_characters is not None:
        chars = rule.per_characters
        rows.append(
            {
                "when": {},
                "credits": chars.credits,
                "per": f"{chars.per} characters of {chars.field}",
            }
        )
    return rows


def price_bounds(model: ModelSpec) -> tuple[int, int] | None:
    """Lowest and highest price of one request, or ``None`` when it grows with the input."""
    rule = model.price
    if rule.tokens is not None or rule.per_characters is not None:
        return None
    keys = _price_keys(rule)
    per_values: tuple[object, ...] = (None,)
    if rule.per is not None:
        spec = model.params[rule.per]
        low = spec.minimum if spec.minimum is not None else spec.exclusive_minimum or 0
        per_values = spec.enum or (low, spec.maximum)
    prices = []
    for when in _combinations(model, keys):
        for value in per_values:
            values = dict(when) if rule.per is None else {**when, rule.per: value}
            prices.append(max(math.ceil(_amount(rule, values.get)), rule.minimum))
    return (min(prices), max(prices))


def price_summary(model: ModelSpec) -> str:
    """One line describing the rule, e.g. ``5-24 credits by type, resolution``."""
    rule = model.price
    if rule.tokens is not None:
        return (
            f"{rule.tokens.input_per_million} credits per 1M input tokens, "
            f"{rule.tokens.output_per_million} per 1M output tokens"
        )
    parts = []
    if rule.table or rule.base is not None:
        values = rule.table.values() if rule.table else (rule.base or 0,)
        low, high = min(values), max(values)
        text = f"{low} credit" if low == high == 1 else f"{low}" if low == high else f"{low}-{high}"
        text += "" if low == high == 1 else " credits"
        if rule.per is not None:
            text += f" per {rule.per}"
        if rule.table:
            text += f" by {', '.join(rule.table_keys)}"
        parts.append(text)
    for m in rule.multipliers:
        parts.append(f"x{Fraction(m.num, m.den)} when {m.param} is {show(m.equals)}")
    if rule.per_characters is not None:
        c = rule.per_characters
        parts.append(f"{c.credits} credits per {c.per} characters of {c.field}")
    if rule.minimum:
        parts.append(f"minimum {rule.minimum}")
    return "; ".join(parts)


def _tokens(model: ModelSpec) -> TokenPrice:
    if model.price.tokens is None:
        raise ValueError(f"{model.slug} is not priced by tokens")
    return model.price.tokens


def _lookup(params: Mapping[str, object], variant: str | None) -> Lookup:
    return lambda key: variant if key == VARIANT_KEY else params.get(key)


def _price_keys(rule: PriceRule) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*rule.table_keys, *(m.param for m in rule.multipliers))))


def _combinations(model: ModelSpec, keys: tuple[str, ...]) -> list[dict[str, object]]:
    """Every combination of the price keys' values a request can have (none the model
    refuses, :mod:`combinations`)."""
    domains = [key_domain(model.params, model.variants, key) or () for key in keys]
    every: list[dict[str, object]] = [
        dict(zip(keys, combo, strict=True)) for combo in itertools.product(*domains)
    ]
    return [values for values in every if not refused(model, values)]


def _amount(rule: PriceRule, lookup: Lookup, *, per_unit: bool = False) -> Fraction:
    if rule.table:
        amount = Fraction(rule.table[table_key(tuple(lookup(k) for k in rule.table_keys))])
    else:
        amount = Fraction(rule.base or 0)
    if rule.per is not None and not per_unit:
        value = lookup(rule.per)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(f"'{rule.per}' has no numeric value to price by")
        amount *= Fraction(value)
    for m in rule.multipliers:
        if same_value(lookup(m.param), m.equals):
            amount *= Fraction(m.num, m.den)
    return amount
