"""Tasks: what the submission ignored of the request.

A field the docs list for an endpoint but the chosen model does not take is dropped before
the task is priced and sent; ``warnings`` keeps the sentences that say so (a JSON list).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("warnings", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("warnings")
