"""Fitting an OpenAI value into a catalog parameter: nearest number, quality rank, same word.

OpenAI clients send values every model understands differently (``quality = "hd"``,
``seconds = "4"``); these helpers pick the closest value the model accepts, or ``None``
when the model has no such notion and the field is dropped.
"""

from __future__ import annotations

from apiinone.catalog import ParamSpec
from apiinone.catalog.spec import Scalar

__all__ = ["QUALITY_RANKS", "nearest_number", "quality_value", "same_word"]

# Every quality word a client or a model uses, ranked; "auto" means the model's default.
QUALITY_RANKS: dict[str, int] = {
    "low": 0,
    "basic": 1,
    "standard": 1,
    "medium": 1,
    "high": 2,
    "hd": 2,
}


def nearest_number(spec: ParamSpec, wanted: int) -> Scalar | None:
    """The allowed value closest to ``wanted`` (ties go up), typed as the parameter is."""
    if spec.enum is not None:
        options: list[tuple[float, Scalar]] = []
        for value in spec.enum:
            try:
                options.append((float(value), value))
            except (TypeError, ValueError):
                continue
        if not options:
            return None
        return min(options, key=lambda option: (abs(option[0] - wanted), -option[0]))[1]
    if spec.type not in ("integer", "number"):
        return None
    value = float(wanted)
    if spec.minimum is not None:
        value = max(value, float(spec.minimum))
    if spec.maximum is not None:
        value = min(value, float(spec.maximum))
    return int(value) if spec.type == "integer" else value


def quality_value(spec: ParamSpec, wanted: str) -> str | None:
    """The model's quality word of the same rank as ``wanted`` (nearest rank otherwise)."""
    exact = same_word(spec, wanted)
    if exact is not None:
        return exact
    rank = QUALITY_RANKS.get(wanted.lower())
    if rank is None or spec.enum is None:
        return None
    ranked = [
        (QUALITY_RANKS[v.lower()], v)
        for v in spec.enum
        if isinstance(v, str) and v.lower() in QUALITY_RANKS
    ]
    if not ranked:
        return None
    return min(ranked, key=lambda option: (abs(option[0] - rank), -option[0]))[1]


def same_word(spec: ParamSpec, wanted: str) -> str | None:
    """``wanted`` as the model spells it, if its enum has it (any case); free strings pass."""
    if spec.type != "string":
        return None
    if spec.enum is None:
        return wanted
    for value in spec.enum:
        if isinstance(value, str) and value.lower() == wanted.lower():
            return value
    return None
