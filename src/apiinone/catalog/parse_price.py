"""Build a :class:`PriceRule` from a model's ``[models.price]`` table, checking it."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from apiinone.errors import InvalidRequest

from .price_keys import field_param, key_domain, table_key
from .reader import TableReader
from .spec import Kind, Multiplier, ParamSpec, PerCharacters, PriceRule, TokenPrice, Variants
from .values import check_value

__all__ = ["parse_price"]

_PRICE_KEYS = frozenset(
    {
        "base",
        "table_keys",
        "table",
        "per",
        "multipliers",
        "per_characters",
        "tokens",
        "minimum",
        "operator_set",
        "price_note",
        "documented_range",
    }
)


def parse_price(
    raw: object,
    *,
    model: str,
    kind: Kind,
    params: Mapping[str, ParamSpec],
    variants: Variants | None,
) -> PriceRule:
    """Parse and check one price rule against the model's params and variants."""
    r = TableReader(raw, model=model, where="price", allowed=_PRICE_KEYS)
    tokens = _tokens(r) if r.has("tokens") else None
    if (kind == "chat") != (tokens is not None):
        raise r.error("chat models, and only they, are priced by tokens", "tokens")
    if tokens is not None and r.raw.keys() & {
        "base",
        "table",
        "table_keys",
        "per",
        "multipliers",
        "per_characters",
    }:
        raise r.error("a token price takes no other rule")
    per_characters = _per_characters(r, params) if r.has("per_characters") else None
    base = r.opt_integer("base")
    if base is not None and base < 0:
        raise r.error("must be >= 0", "base")
    table_keys = r.texts("table_keys")
    table = _table(r, table_keys, params, variants)
    if base is not None and table:
        raise r.error("give base or table, not both")
    if tokens is None and base is None and not table and per_characters is None:
        raise r.error("needs base, table, per_characters or tokens")
    rule = PriceRule(
        base=base,
        table_keys=table_keys,
        table=table,
        per=_per(r, params),
        multipliers=_multipliers(r, params, variants),
        per_characters=per_characters,
        tokens=tokens,
        minimum=r.integer("minimum", 0),
        operator_set=r.flag("operator_set"),
        note=r.text("price_note", ""),
        documented_range=_range(r),
    )
    if rule.minimum < 0:
        raise r.error("must be >= 0", "minimum")
    return rule


def _tokens(r: TableReader) -> TokenPrice:
    t = TableReader(
        r.raw["tokens"],
        model=r.model,
        where=r.field("tokens"),
        allowed=frozenset({"input_per_million", "output_per_million", "default_max_tokens"}),
    )
    price = TokenPrice(
        input_per_million=t.integer("input_per_million"),
        output_per_million=t.integer("output_per_million"),
        default_max_tokens=t.integer("default_max_tokens"),
    )
    if min(price.input_per_million, price.output_per_million) < 0 or price.default_max_tokens < 1:
        raise t.error("prices must be >= 0 and default_max_tokens >= 1")
    return price


def _per_characters(r: TableReader, params: Mapping[str, ParamSpec]) -> PerCharacters:
    c = TableReader(
        r.raw["per_characters"],
        model=r.model,
        where=r.field("per_characters"),
        allowed=frozenset({"field", "per", "credits"}),
    )
    rule = PerCharacters(field=c.text("field"), per=c.integer("per"), credits=c.integer("credits"))
    target = field_param(params, rule.field)
    if target is None or target.type != "string":
        raise c.error(f"'{rule.field}' names no string parameter", "field")
    if rule.per < 1 or rule.credits < 0:
        raise c.error("per must be >= 1 and credits >= 0")
    return rule


def _table(
    r: TableReader,
    keys: tuple[str, ...],
    params: Mapping[str, ParamSpec],
    variants: Variants | None,
) -> dict[str, int]:
    raw = r.table("table")
    if not keys and not raw:
        return {}
    if not keys or not raw:
        raise r.error("table and table_keys go together", "table")
    domains = []
    for key in keys:
        domain = key_domain(params, variants, key)
        if domain is None:
            raise r.error(
                f"'{key}' is not a variant key or a param with an enum or boolean type",
                "table_keys",
            )
        spec = params.get(key)
        if spec is not None and spec.default is None and not spec.required:
            raise r.error(f"'{key}' needs a default or must be required", "table_keys")
        domains.append(domain)
    wanted = [table_key(combo) for combo in itertools.product(*domains)]
    missing = [k for k in wanted if k not in raw]
    if missing:
        raise r.error(f"has no price for {', '.join(missing)}", "table")
    extra = sorted(set(raw) - set(wanted))
    if extra:
        raise r.error(
            f"has prices for combinations no request can reach: {', '.join(extra)}", "table"
        )
    table: dict[str, int] = {}
    for key in wanted:
        value = raw[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise r.error("must be an integer >= 0", f"table.{key}")
        table[key] = value
    return table


def _per(r: TableReader, params: Mapping[str, ParamSpec]) -> str | None:
    per = r.opt_text("per")
    if per is None:
        return None
    spec = params.get(per)
    if spec is None or spec.type not in ("integer", "number"):
        raise r.error(f"'{per}' is not a numeric parameter", "per")
    if spec.default is None and not spec.required:
        raise r.error(f"'{per}' needs a default or must be required", "per")
    if spec.enum is None and spec.maximum is None:
        raise r.error(f"'{per}' needs an enum or a maximum so the price is bounded", "per")
    return per


def _multipliers(
    r: TableReader, params: Mapping[str, ParamSpec], variants: Variants | None
) -> tuple[Multiplier, ...]:
    found = []
    for i, raw in enumerate(r.tables("multipliers")):
        m = TableReader(
            raw,
            model=r.model,
            where=f"{r.field('multipliers')}[{i}]",
            allowed=frozenset({"param", "equals", "num", "den"}),
        )
        param, equals = m.text("param"), m.scalar("equals")
        if equals is None:
            raise m.error("is required", "equals")
        spec = params.get(param)
        if key_domain(params, variants, param) is None:
            raise m.error(
                f"'{param}' is not a variant key or a param with an enum or boolean type", "param"
            )
        if spec is not None:
            try:
                normal = check_value(spec, equals, param)
            except InvalidRequest as exc:
                raise m.error(f"{equals!r} is not allowed: {exc.message}", "equals") from exc
            if isinstance(normal, (str, int, float, bool)):
                equals = normal
        elif variants is not None and equals not in variants.values:
            raise m.error(f"{equals!r} is not a variant", "equals")
        multiplier = Multiplier(
            param=param, equals=equals, num=m.integer("num"), den=m.integer("den", 1)
        )
        if multiplier.num < 0 or multiplier.den < 1:
            raise m.error("num must be >= 0 and den >= 1")
        found.append(multiplier)
    return tuple(found)


def _range(r: TableReader) -> tuple[int, int] | None:
    raw = r.raw.get("documented_range")
    if raw is None:
        return None
    if (
        not isinstance(raw, list)
        or len(raw) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
        or raw[0] > raw[1]
    ):
        raise r.error("must be [low, high] integers with low <= high", "documented_range")
    return (raw[0], raw[1])
