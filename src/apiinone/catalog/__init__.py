"""The model catalog: models, parameters and prices as data, with validation and pricing.

``load_catalog()`` reads the shipped ``data/catalog.toml`` (plus an operator override);
``validate_request`` checks a body for an endpoint; ``price_request`` and ``chat_cost``
turn it into integer credits; ``json_schema`` and ``public_model`` describe a model.
"""

from .catalog import Catalog, Resolved
from .errors import CatalogError
from .loader import load_catalog
from .pricing import (
    chat_cost,
    chat_hold,
    estimate_prompt_tokens,
    price_bounds,
    price_request,
    price_summary,
    price_table,
)
from .schema import json_schema, list_item, public_model
from .spec import ModelSpec, Multiplier, ParamSpec, PerCharacters, PriceRule, TokenPrice, Variants
from .validate import ValidatedRequest, validate_request

__all__ = [
    "Catalog",
    "CatalogError",
    "ModelSpec",
    "Multiplier",
    "ParamSpec",
    "PerCharacters",
    "PriceRule",
    "Resolved",
    "TokenPrice",
    "ValidatedRequest",
    "Variants",
    "chat_cost",
    "chat_hold",
    "estimate_prompt_tokens",
    "json_schema",
    "list_item",
    "load_catalog",
    "price_bounds",
    "price_request",
    "price_summary",
    "price_table",
    "public_model",
    "validate_request",
]
