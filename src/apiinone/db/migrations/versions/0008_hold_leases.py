"""Chat holds: the process that made each one, and one lease row per live process.

A chat hold whose process died is released once the process's lease lapses
(``billing/hold_lease.py``), not an hour later.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("holds") as batch:
        batch.add_column(sa.Column("owner", sa.String(40), nullable=True))
    op.create_table(
        "hold_leases",
        sa.Column("owner", sa.String(40), nullable=False),
        sa.Column("label", sa.String(120), nullable=False),
        sa.Column("lease_until", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("owner", name="pk_hold_leases"),
    )


def downgrade() -> None:
    op.drop_table("hold_leases")
    with op.batch_alter_table("holds") as batch:
        batch.drop_column("owner")
