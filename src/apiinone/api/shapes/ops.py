"""Liveness and readiness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = ["Health", "Ready"]


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    database: Literal["ok"]
