"""Build a :class:`ModelSpec` from one ``[[models]]`` table, checking it whole."""

from __future__ import annotations

import re

from .combinations import parse_needs, parse_refuse_together
from .openai_chat import openai_chat_params
from .parse_params import parse_fields
from .parse_price import parse_price
from .reader import TableReader
from .routing import parse_routing
from .spec import ASYNC_KINDS, KINDS, ModelSpec, ParamSpec, Routing, Variants
from .values import URL_MAX_LENGTH

__all__ = ["CALLBACK_URL", "MODEL_KEYS", "parse_model"]

MODEL_KEYS = frozenset(
    {
        "slug",
        "kind",
        "endpoint",
        "display_name",
        "provider",
        "description",
        "aliases",
        "capabilities",
        "timeout_seconds",
        "model_field_required",
        "variants",
        "params",
        "price",
        "require_any_of",
        "routing",
        "refuse_together",
        "needs",
    }
)
_NAME = re.compile(r"[a-z0-9][a-z0-9._/-]{0,99}")
_ENDPOINT = re.compile(r"/api/v1(/[a-z0-9-]+)+")

CALLBACK_URL = ParamSpec(
    name="callback_url",
    type="string",
    format="url",
    max_length=URL_MAX_LENGTH,
    description="Webhook URL; receives a signed POST when the task reaches a terminal state.",
)


def parse_model(raw: object, *, index: int) -> ModelSpec:
    """Parse one model. Async kinds always accept ``callback_url`` and list ``webhook``; chat
    models take every property of OpenAI's chat request they do not define themselves."""
    slug = raw.get("slug") if isinstance(raw, dict) else None
    name = slug if isinstance(slug, str) else f"models[{index}]"
    r = TableReader(raw, model=name, where="", allowed=MODEL_KEYS)
    for key in ("slug", "aliases"):
        for value in r.texts(key) if key == "aliases" else (r.text(key),):
            if not _NAME.fullmatch(value):
                raise r.error(f"'{value}' is not a valid model name (a-z, 0-9, . _ / -)", key)
    kind_text = r.text("kind")
    kind = next((k for k in KINDS if k == kind_text), None)
    if kind is None:
        raise r.error(f"must be one of {', '.join(KINDS)}", "kind")
    endpoint = r.text("endpoint")
    if not _ENDPOINT.fullmatch(endpoint):
        raise r.error("must be a path under /api/v1/", "endpoint")
    variants = _variants(r) if r.has("variants") else None
    params = parse_fields(
        r.table("params"),
        model=name,
        where="params",
        variants=variants.values if variants else None,
    )
    for reserved in ("model", "variant"):
        if reserved in params:
            raise r.error(
                "is a reserved name (the model field and price key)", f"params.{reserved}"
            )
    capabilities = r.texts("capabilities")
    if kind == "chat":
        for shared, spec in openai_chat_params().items():
            params.setdefault(shared, spec)
    if kind in ASYNC_KINDS:
        params.setdefault("callback_url", CALLBACK_URL)
        if "webhook" not in capabilities:
            capabilities = (*capabilities, "webhook")
    timeout = r.integer("timeout_seconds")
    if timeout < 1:
        raise r.error("must be >= 1", "timeout_seconds")
    return ModelSpec(
        slug=r.text("slug"),
        kind=kind,
        endpoint=endpoint,
        display_name=r.text("display_name"),
        provider=r.text("provider"),
        description=r.text("description"),
        aliases=r.texts("aliases"),
        capabilities=capabilities,
        timeout_seconds=timeout,
        model_field_required=r.flag("model_field_required", True),
        variants=variants,
        params=params,
        price=parse_price(
            r.raw.get("price"), model=name, kind=kind, params=params, variants=variants
        ),
        require_any_of=_require_any_of(r, params),
        routing=parse_routing(r.raw["routing"], model=name, params=params, variants=variants)
        if r.has("routing")
        else Routing(),
        refuse_together=parse_refuse_together(r, params),
        needs=parse_needs(r, params),
    )


def _variants(r: TableReader) -> Variants:
    v = TableReader(
        r.raw["variants"],
        model=r.model,
        where="variants",
        allowed=frozenset({"default", "values", "aliases"}),
    )
    values = v.texts("values")
    aliases = {}
    for alias, target in v.table("aliases").items():
        if not isinstance(target, str) or target not in values:
            raise v.error(f"alias '{alias}' must name one of the values", "aliases")
        aliases[alias] = target
    default = v.text("default")
    if not values or len(set(values)) != len(values):
        raise v.error("must list distinct names", "values")
    if default not in values:
        raise v.error(f"'{default}' is not one of the values", "default")
    for name in (*values, *aliases):
        if not _NAME.fullmatch(name):
            raise v.error(f"'{name}' is not a valid variant name", "values")
    return Variants(default=default, values=values, aliases=aliases)


def _require_any_of(r: TableReader, params: dict[str, ParamSpec]) -> tuple[tuple[str, ...], ...]:
    groups = []
    for i, group in enumerate(r.tables("require_any_of")):
        if not isinstance(group, list) or len(group) < 2 or not all(g in params for g in group):
            raise r.error(
                "each group must list two or more parameter names", f"require_any_of[{i}]"
            )
        groups.append(tuple(str(g) for g in group))
    return tuple(groups)
