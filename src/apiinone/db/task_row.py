"""A task's row: the one list of the ``tasks`` table's columns, typed.

``TaskRow`` names every column in order, with its Python type (``| None``: the column is
nullable) and, in ``Annotated``, its SQL type and constraints; ``tables.py`` builds the
``tasks`` table from it (``task_columns``), and every read of a task, through the SQL steps
or through SQLAlchemy, gives a ``TaskRow``.
"""

from typing import Annotated, NamedTuple, get_args, get_type_hints

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Text
from sqlalchemy.types import TypeEngine

__all__ = ["TaskRow", "task_columns"]


class _Key:
    """Marks the primary key."""


class _Default(NamedTuple):
    """A column's default on insert through SQLAlchemy."""

    value: object


_KEY = _Key()
_ZERO = _Default(0)
_ID = String(40)
_MS = BigInteger()  # times: integer milliseconds since the epoch (UTC)


class TaskRow(NamedTuple):
    id: Annotated[str, _ID, _KEY]
    account_id: Annotated[str, _ID, ForeignKey("accounts.id")]
    key_id: Annotated[str | None, _ID]
    mode: Annotated[str, String(8)]
    model: Annotated[str, String(120)]
    variant: Annotated[str | None, String(120)]
    endpoint: Annotated[str, String(120)]
    kind: Annotated[str, String(16)]
    status: Annotated[str, String(12)]
    progress: Annotated[int | None, Integer()]
    price: Annotated[int, BigInteger()]
    hold_id: Annotated[str | None, _ID]
    consumed_credits: Annotated[int, BigInteger(), _ZERO]
    error_code: Annotated[str | None, _ID]
    error_message: Annotated[str | None, Text()]
    request: Annotated[str, Text()]
    params: Annotated[str, Text()]
    response: Annotated[str | None, Text()]
    result: Annotated[str | None, Text()]
    callback_url: Annotated[str | None, String(2048)]
    parent_task_id: Annotated[str | None, _ID]
    provider: Annotated[str, String(40)]
    channel: Annotated[str | None, String(80)]
    upstream_id: Annotated[str | None, String(200)]
    upstream_state: Annotated[str | None, Text()]
    submit_state: Annotated[str | None, String(12)]
    lease_owner: Annotated[str | None, String(64)]
    lease_until: Annotated[int | None, _MS]
    next_run_at: Annotated[int, _MS]
    attempts: Annotated[int, Integer(), _ZERO]
    deadline_at: Annotated[int, _MS]
    created_at: Annotated[int, _MS]
    updated_at: Annotated[int, _MS]
    started_at: Annotated[int | None, _MS]
    completed_at: Annotated[int | None, _MS]
    # A synchronous /v1 request's hash (key, path, body) on the tasks it made, while its
    # answer is owed: a retry of it attaches to them (openai_compat/attach.py).
    request_fingerprint: Annotated[str | None, String(64)]
    # OpenAI Videos: when the client deleted the video (its files go; the row and its ledger
    # stay), and the video a remix was made from (openai_compat/video_store.py).
    deleted_at: Annotated[int | None, _MS]
    remixed_from: Annotated[str | None, _ID]
    # What the submission ignored of the request, as a JSON list of sentences
    # (catalog/field_lists.py); NULL when nothing was.
    warnings: Annotated[str | None, Text()]


def _column(name: str, hint: object) -> Column[object]:
    python_type, *marks = get_args(hint)
    nullable = type(None) in get_args(python_type)  # ``X | None``
    sql_type = next(mark for mark in marks if isinstance(mark, TypeEngine))
    keys = [mark for mark in marks if isinstance(mark, ForeignKey)]
    defaults = [mark.value for mark in marks if isinstance(mark, _Default)]
    if _KEY in marks:
        return Column(name, sql_type, primary_key=True)
    if defaults:
        return Column(name, sql_type, *keys, nullable=nullable, default=defaults[0])
    return Column(name, sql_type, *keys, nullable=nullable)


def task_columns() -> list[Column[object]]:
    """The ``tasks`` table's columns, in ``TaskRow``'s order (called once, by ``tables.py``:
    a ``ForeignKey`` belongs to one column)."""
    hints = get_type_hints(TaskRow, include_extras=True)
    return [_column(name, hints[name]) for name in TaskRow._fields]
