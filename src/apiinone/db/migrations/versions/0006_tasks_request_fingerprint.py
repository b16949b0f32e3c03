"""Tasks: the fingerprint of the synchronous /v1 request that made them, indexed.

A synchronous wait (``/v1/images/generations``, ``/v1/audio/speech``) retried with the same
body by the same key attaches to the tasks of the first attempt, found by this fingerprint
(a hash of key, path and body) on any replica; it is cleared once their answer is given.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("request_fingerprint", sa.String(64), nullable=True))
    op.create_index("ix_tasks_request_fingerprint", "tasks", ["request_fingerprint"])


def downgrade() -> None:
    op.drop_index("ix_tasks_request_fingerprint", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("request_fingerprint")
