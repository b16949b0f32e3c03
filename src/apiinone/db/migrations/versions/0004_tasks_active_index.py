"""Tasks: an index for counting an account's unfinished tasks at submission.

The per-account concurrency cap counts ``status IN ('queued', 'processing')`` for one
account inside the submitting transaction; with this index that reads only the account's
unfinished tasks, not its whole history.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_account_status", "tasks", ["account_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_tasks_account_status", table_name="tasks")
