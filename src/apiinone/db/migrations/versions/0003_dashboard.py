"""Dashboard: sessions, top-up orders, redemption codes, admin price overrides.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=True),
        sa.PrimaryKeyConstraint("id_hash", name="pk_sessions"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_sessions_account_id_accounts"
        ),
    )
    op.create_index("ix_sessions_account", "sessions", ["account_id"])
    op.create_index("ix_sessions_expires", "sessions", ["expires_at"])
    op.create_table(
        "orders",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("package_id", sa.String(40), nullable=False),
        sa.Column("credits", sa.BigInteger, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("provider_session_id", sa.String(255), nullable=True),
        sa.Column("provider_payment_id", sa.String(255), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("paid_at", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_orders_account_id_accounts"
        ),
        sa.UniqueConstraint("provider_session_id", name="uq_orders_provider_session_id"),
        sa.CheckConstraint("credits > 0", name="ck_orders_credits_positive"),
    )
    op.create_index("ix_orders_account", "orders", ["account_id", "created_at"])
    op.create_table(
        "redemption_batches",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credits", sa.BigInteger, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_redemption_batches"),
        sa.CheckConstraint("credits > 0", name="ck_redemption_batches_credits_positive"),
    )
    op.create_table(
        "redemption_codes",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("batch_id", sa.String(40), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("credits", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
        sa.Column("redeemed_by", sa.String(40), nullable=True),
        sa.Column("redeemed_at", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_redemption_codes"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["redemption_batches.id"],
            name="fk_redemption_codes_batch_id_redemption_batches",
        ),
        sa.ForeignKeyConstraint(
            ["redeemed_by"], ["accounts.id"], name="fk_redemption_codes_redeemed_by_accounts"
        ),
        sa.UniqueConstraint("code_hash", name="uq_redemption_codes_code_hash"),
    )
    op.create_index("ix_redemption_codes_batch", "redemption_codes", ["batch_id"])
    op.create_table(
        "price_overrides",
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("price", sa.Text, nullable=False),
        sa.Column("updated_by", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("slug", name="pk_price_overrides"),
    )


def downgrade() -> None:
    op.drop_table("price_overrides")
    op.drop_table("redemption_codes")
    op.drop_table("redemption_batches")
    op.drop_table("orders")
    op.drop_table("sessions")
