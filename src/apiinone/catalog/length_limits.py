"""Length limits that depend on the sub-model: Suno's docs allow longer lyrics and styles
from v4.5 on ("Max 3000 chars for Suno v3.5/v4, 5000 for v4.5+"; style 200, 1000 for
v4.5+). The catalog's ``max_length`` is the largest; this narrows it by version."""

from __future__ import annotations

from collections.abc import Mapping

from apiinone.errors import InvalidRequest

from .spec import ModelSpec

__all__ = ["TIER_FROM_SOURCE", "VERSION_LIMITS", "check_version_limits"]

# Models whose request, when it names no ``model``, takes the sub-model of the work it
# refers to (a Suno extend: its source song's tier); their limits wait until that is read.
TIER_FROM_SOURCE = frozenset({"suno-extend"})

_EARLY = ("chirp-v3-5", "chirp-v4-0")
_SUNO = ("suno", "suno-extend", "suno-upload-cover")

# (model slugs, variants, field) -> the longest value, in characters.
VERSION_LIMITS: tuple[tuple[tuple[str, ...], tuple[str, ...], str, int], ...] = (
    (_SUNO, _EARLY, "prompt", 3000),
    (_SUNO, _EARLY, "style", 200),
)


def check_version_limits(
    model: ModelSpec, variant: str | None, params: Mapping[str, object]
) -> None:
    """Raise :class:`InvalidRequest` naming the field that is too long for ``variant``."""
    for slugs, variants, name, limit in VERSION_LIMITS:
        if model.slug not in slugs or variant not in variants:
            continue
        value = params.get(name)
        if isinstance(value, str) and len(value) > limit:
            raise InvalidRequest(
                f"'{name}' must be at most {limit} characters long for {variant} "
                f"(v4.5 and later take more)",
                param=name,
            )
