"""Unguessable public identifiers: ``<prefix>_<random url-safe text>``."""

from __future__ import annotations

import secrets

__all__ = ["TASK_ID_MAX_LENGTH", "new_id"]

# The longest task id there can be: the width of the tasks table's id column. The ids
# ``new_id("task", 18)`` makes are 29 characters ("task_" and 24 for 18 random bytes); a
# longer one in a path or a look-up names no task, and is refused before the database.
TASK_ID_MAX_LENGTH = 40


def new_id(prefix: str, nbytes: int = 12) -> str:
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"
