"""Typed reading of one TOML table, refusing unknown keys and wrong types."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import CatalogError
from .spec import Scalar

__all__ = ["TableReader"]


class TableReader:
    """Read keys of a TOML table as checked Python types; errors name model and field."""

    def __init__(self, raw: object, *, model: str, where: str, allowed: frozenset[str]) -> None:
        if not isinstance(raw, dict):
            raise CatalogError("must be a table", model=model, field=where or None)
        self.raw: Mapping[str, object] = raw
        self.model = model
        self.where = where
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise self.error(
                f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
            )

    def field(self, key: str) -> str:
        """The dotted path of ``key`` for error messages."""
        return f"{self.where}.{key}" if self.where else key

    def error(self, message: str, key: str | None = None) -> CatalogError:
        return CatalogError(
            message, model=self.model, field=self.field(key) if key else self.where or None
        )

    def has(self, key: str) -> bool:
        return key in self.raw

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str):
            raise self.error("must be a string" if key in self.raw else "is required", key)
        return value

    def opt_text(self, key: str) -> str | None:
        return self.text(key) if key in self.raw else None

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.raw.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error("must be an integer" if key in self.raw else "is required", key)
        return value

    def opt_integer(self, key: str) -> int | None:
        return self.integer(key) if key in self.raw else None

    def number(self, key: str) -> int | float | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise self.error("must be a number", key)
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise self.error("must be true or false", key)
        return value

    def scalar(self, key: str) -> Scalar | None:
        value = self.raw.get(key)
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        raise self.error("must be a string, number or boolean", key)

    def scalars(self, key: str) -> tuple[Scalar, ...] | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(
            isinstance(v, (str, int, float, bool)) for v in value
        ):
            raise self.error("must be a list of strings, numbers or booleans", key)
        return tuple(value)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error("must be a list of strings", key)
        return tuple(value)

    def table(self, key: str) -> Mapping[str, object]:
        value = self.raw.get(key, {})
        if not isinstance(value, dict):
            raise self.error("must be a table", key)
        return value

    def tables(self, key: str) -> list[object]:
        value = self.raw.get(key, [])
        if not isinstance(value, list):
            raise self.error("must be a list of tables", key)
        return value
