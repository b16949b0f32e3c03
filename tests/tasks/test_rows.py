"""The tasks table is built from the typed task row: every column, in order, nullable where
the row says `| None`."""

from apiinone.db.tables import tasks
from apiinone.tasks.rows import COLUMNS, TaskRow


def test_task_row_has_every_column_in_table_order() -> None:
    assert tuple(column.name for column in tasks.c) == COLUMNS == TaskRow._fields


def test_task_row_nullability_follows_the_table() -> None:
    hints = TaskRow.__annotations__
    for column in tasks.c:
        assert ("None" in str(hints[column.name])) == bool(
            column.nullable and not column.primary_key
        )
