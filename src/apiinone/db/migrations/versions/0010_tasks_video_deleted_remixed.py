"""Tasks: when an OpenAI video was deleted, and the video a remix was made from.

``DELETE /v1/videos/{id}`` deletes the video's files and stamps ``deleted_at``; the row and
its ledger stay. ``POST /v1/videos/{id}/remix`` records the source video in
``remixed_from``.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("deleted_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("remixed_from", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("remixed_from")
        batch.drop_column("deleted_at")
