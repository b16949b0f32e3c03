"""A task row as every reader gets it (``db/task_row.py``: the one list of the columns), and
the SQL that reads it whole."""

from __future__ import annotations

from apiinone.db.task_row import TaskRow

__all__ = ["COLUMNS", "RETURNING", "SELECT", "SELECT_OWNED", "TaskRow"]

COLUMNS = TaskRow._fields
# Column names come from the table definition, never from a request.
SELECT = f"SELECT {', '.join(COLUMNS)} FROM tasks WHERE id = ?"  # noqa: S608
SELECT_OWNED = SELECT + " AND account_id = ?"
RETURNING = " RETURNING " + ", ".join(COLUMNS)
