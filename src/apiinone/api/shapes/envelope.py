"""The native API's answer wrappers, and the ``responses`` entries that name them."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

__all__ = ["Envelope", "Items", "Page", "SunoEnvelope", "answers", "enveloped"]

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """``{"code": 200, "message": "success", "data": ...}``."""

    code: int = Field(description="200 on success (the HTTP status may be 201 or 202)")
    message: str
    data: T


class SunoEnvelope(BaseModel, Generic[T]):
    """The Suno pages' wrapper: ``msg`` where the others say ``message``."""

    code: int
    msg: str
    data: T


class Page(BaseModel, Generic[T]):
    """A page of a list, newest first; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[T]
    next_cursor: str | None
    has_more: bool


class Items(BaseModel, Generic[T]):
    """A whole list."""

    items: list[T]


def answers(
    model: Any, status: int = 200, description: str = "Success", **extra: Any
) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses`` entry: ``status`` answers with ``model`` (documentation only:
    the route renders its own body)."""
    return {status: {"model": model, "description": description, **extra}}


def enveloped(
    data: Any, status: int = 200, description: str = "Success", **extra: Any
) -> dict[int | str, dict[str, Any]]:
    """``answers`` for the envelope around ``data``."""
    return answers(Envelope[data], status, description, **extra)
