"""Build valid request bodies for any catalog model, for tests that need one."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from apiinone.catalog import Catalog, ModelSpec, ParamSpec, validate_request
from apiinone.catalog.combinations import refused
from apiinone.catalog.price_keys import VARIANT_KEY, key_domain
from apiinone.errors import InvalidRequest

IMAGE_URL = "https://example.com/a.png"


def sample(spec: ParamSpec) -> object:
    """One valid value for ``spec``."""
    if spec.type == "any_of":
        return sample(spec.any_of[0])
    if spec.enum:
        return spec.enum[0]
    if spec.type == "string":
        if spec.format == "url":
            return IMAGE_URL
        if spec.default is not None:
            return spec.default
        return "x" * max(spec.min_length or 1, 3)
    if spec.type in ("integer", "number"):
        return spec.minimum if spec.minimum is not None else 1
    if spec.type == "boolean":
        return False
    if spec.type == "array":
        return [sample(spec.items)] if spec.items is not None else [1]
    return {name: sample(p) for name, p in spec.properties.items() if p.required}


def body_for(catalog: Catalog, spec: ModelSpec, /, **fields: object) -> dict[str, object]:
    """The smallest body ``spec`` accepts with ``fields`` set: required fields added as needed."""
    body: dict[str, object] = {"model": spec.slug, **fields}
    for group in spec.require_any_of:
        if not any(name in body for name in group):
            body[group[0]] = sample(spec.params[group[0]])
    for name, param in spec.params.items():
        if param.required and name not in body:
            body[name] = sample(param)
    for _ in range(len(spec.params)):
        try:
            validate_request(catalog, spec.endpoint, body)
            return body
        except InvalidRequest as exc:
            missing = exc.param
            if missing is None or "is required" not in exc.message or missing in body:
                raise
            body[missing] = sample(spec.params[missing])
    raise AssertionError(f"no valid body found for {spec.slug}")


def priced_bodies(catalog: Catalog, model: ModelSpec) -> Iterator[dict[str, object]]:
    """A body for every combination of the values the price depends on."""
    rule = model.price
    keys = list(dict.fromkeys((*rule.table_keys, *(m.param for m in rule.multipliers))))
    domains = [key_domain(model.params, model.variants, k) or () for k in keys]
    if rule.per is not None:
        spec = model.params[rule.per]
        keys.append(rule.per)
        if spec.enum:
            domains.append(spec.enum)
        else:
            assert isinstance(spec.minimum, int) and isinstance(spec.maximum, int)
            domains.append(tuple(range(spec.minimum, spec.maximum + 1)))
    for combo in itertools.product(*domains):
        fields = dict(zip(keys, combo, strict=True))
        if refused(model, fields):
            continue  # the catalog refuses it before any price (combinations.py)
        if VARIANT_KEY in fields:
            fields["model"] = fields.pop(VARIANT_KEY)
        yield body_for(catalog, model, **fields)
