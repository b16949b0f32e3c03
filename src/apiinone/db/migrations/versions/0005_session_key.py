"""Sessions: the API key a dashboard session was opened with (none for a password login).

A session opened with a key lives and dies with that key: it is read together with the key's
row, and ends when the key is revoked, expires, or can no longer sign in.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("key_id", sa.String(40), nullable=True))
        batch.create_foreign_key("fk_sessions_key_id_api_keys", "api_keys", ["key_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_constraint("fk_sessions_key_id_api_keys", type_="foreignkey")
        batch.drop_column("key_id")
