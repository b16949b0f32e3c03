"""The catalog's data model: frozen specs of parameters, prices and models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ASYNC_KINDS",
    "KINDS",
    "PARAM_TYPES",
    "Kind",
    "ModeRule",
    "ModelSpec",
    "Multiplier",
    "ParamSpec",
    "ParamType",
    "PerCharacters",
    "PriceRule",
    "Routing",
    "Scalar",
    "TokenPrice",
    "Variants",
]

Kind = Literal["chat", "image", "video", "music", "speech", "tool"]
ParamType = Literal["string", "integer", "number", "boolean", "array", "object", "any_of"]
Scalar = str | int | float | bool

KINDS: tuple[Kind, ...] = ("chat", "image", "video", "music", "speech", "tool")
ASYNC_KINDS: frozenset[Kind] = frozenset({"image", "video", "music", "speech", "tool"})
PARAM_TYPES: tuple[ParamType, ...] = (
    "string",
    "integer",
    "number",
    "boolean",
    "array",
    "object",
    "any_of",
)


@dataclass(frozen=True)
class ParamSpec:
    """One request field: its JSON type and every constraint on it.

    ``required_when`` pairs are ``(param, value)`` (or ``("variant", name)``) that must all
    hold for the field to become required. ``any_of`` lists alternative shapes (type
    ``"any_of"``); ``nullable`` lets ``null`` stand for "not given".
    """

    name: str
    type: ParamType
    description: str = ""
    required: bool = False
    required_when: tuple[tuple[str, Scalar], ...] = ()
    default: Scalar | None = None
    enum: tuple[Scalar, ...] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: Literal["url"] | None = None
    items: ParamSpec | None = None
    min_items: int | None = None
    max_items: int | None = None
    properties: dict[str, ParamSpec] = field(default_factory=dict)
    additional_properties: bool = False
    any_of: tuple[ParamSpec, ...] = ()
    accept_numeric_string: bool = False
    nullable: bool = False

    @property
    def numeric_string_enum(self) -> bool:
        """A string enum of digit strings (``"6"``, ``"10"``) that also takes the ints."""
        return (
            self.type == "string"
            and bool(self.enum)
            and all(isinstance(v, str) and v.isascii() and v.isdigit() for v in self.enum or ())
        )


@dataclass(frozen=True)
class Variants:
    """Sub-models chosen through the request's ``model`` field."""

    default: str
    values: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)

    def names_for(self, value: str) -> tuple[str, ...]:
        """The variant name and every alias that resolves to it."""
        return (value, *(a for a, v in self.aliases.items() if v == value))


@dataclass(frozen=True)
class ModeRule:
    """A request is in ``mode`` when ``present`` is given (not empty) and ``equals``
    (``(param, value)``) holds; a rule with neither is the default."""

    mode: str
    present: str | None = None
    equals: tuple[str, Scalar] | None = None


@dataclass(frozen=True)
class Routing:
    """How a request picks its upstream binding (``catalog/routing.py``): the variant is
    the catalog's variant, or ``variant_param``'s value for a model whose tiers are a
    parameter (Kling 3's ``mode``); the mode is the first of ``modes`` that holds."""

    variant_param: str | None = None
    modes: tuple[ModeRule, ...] = ()


@dataclass(frozen=True)
class Multiplier:
    """Multiply the price by ``num/den`` when ``param`` equals ``equals``."""

    param: str
    equals: Scalar
    num: int
    den: int = 1


@dataclass(frozen=True)
class PerCharacters:
    """``credits`` per ``per`` characters of every string at ``field`` (``a[].b`` paths)."""

    field: str
    per: int
    credits: int


@dataclass(frozen=True)
class TokenPrice:
    """Chat pricing in credits per million tokens."""

    input_per_million: int
    output_per_million: int
    default_max_tokens: int


@dataclass(frozen=True)
class PriceRule:
    """How a request is priced; integers in, one ceiling at the end.

    amount = (base | table[key]) x value(per) x multipliers + per_characters, then ceil,
    then at least ``minimum``. Chat uses ``tokens`` instead.
    """

    base: int | None = None
    table_keys: tuple[str, ...] = ()
    table: dict[str, int] = field(default_factory=dict)
    per: str | None = None
    multipliers: tuple[Multiplier, ...] = ()
    per_characters: PerCharacters | None = None
    tokens: TokenPrice | None = None
    minimum: int = 0
    operator_set: bool = False
    note: str = ""
    documented_range: tuple[int, int] | None = None


@dataclass(frozen=True)
class ModelSpec:
    """One catalog model: identity, request schema and price rule."""

    slug: str
    kind: Kind
    endpoint: str
    display_name: str
    provider: str
    description: str
    aliases: tuple[str, ...]
    capabilities: tuple[str, ...]
    timeout_seconds: int
    model_field_required: bool
    variants: Variants | None
    params: dict[str, ParamSpec]
    price: PriceRule
    require_any_of: tuple[tuple[str, ...], ...] = ()
    routing: Routing = field(default_factory=Routing)
    # Combinations the upstream refuses, and fields that need others (combinations.py).
    refuse_together: tuple[tuple[tuple[str, Scalar], ...], ...] = ()
    needs: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def operator_set(self) -> bool:
        """True when the price is the operator's choice rather than a documented figure."""
        return self.price.operator_set

    @property
    def names(self) -> tuple[str, ...]:
        """Every value of ``model`` that selects this model: slug, aliases, variants."""
        names = [self.slug, *self.aliases]
        if self.variants is not None:
            names.extend(self.variants.values)
            names.extend(self.variants.aliases)
        return tuple(names)
