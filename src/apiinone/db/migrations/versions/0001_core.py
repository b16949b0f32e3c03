"""Core: accounts, wallets, API keys, holds and the ledger.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("email", name="uq_accounts_email"),
    )
    op.create_table(
        "wallets",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("balance", sa.BigInteger, nullable=False),
        sa.Column("held", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_wallets"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_wallets_account_id_accounts"
        ),
        sa.UniqueConstraint("account_id", "mode", name="uq_wallets_account_mode"),
        sa.CheckConstraint("balance >= 0", name="ck_wallets_balance_nonnegative"),
        sa.CheckConstraint("held >= 0", name="ck_wallets_held_nonnegative"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
        sa.Column("rotated_to", sa.String(40), nullable=True),
        sa.Column("allowed_models", sa.Text, nullable=True),
        sa.Column("rate_limit_per_minute", sa.Integer, nullable=True),
        sa.Column("spend_cap", sa.BigInteger, nullable=True),
        sa.Column("spent", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_api_keys_account_id_accounts"
        ),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_index("ix_api_keys_account", "api_keys", ["account_id"])
    op.create_table(
        "holds",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("wallet_id", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(40), nullable=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("captured", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=True),
        sa.Column("model", sa.String(120), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("settled_at", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_holds"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_holds_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(["wallet_id"], ["wallets.id"], name="fk_holds_wallet_id_wallets"),
        sa.CheckConstraint("amount >= 0", name="ck_holds_amount_nonnegative"),
    )
    op.create_table(
        "ledger",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("wallet_id", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("held_delta", sa.BigInteger, nullable=False),
        sa.Column("balance_after", sa.BigInteger, nullable=False),
        sa.Column("hold_id", sa.String(40), nullable=True),
        sa.Column("task_id", sa.String(64), nullable=True),
        sa.Column("key_id", sa.String(40), nullable=True),
        sa.Column("model", sa.String(120), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_ledger_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(["wallet_id"], ["wallets.id"], name="fk_ledger_wallet_id_wallets"),
    )
    op.create_index("ix_ledger_account_id", "ledger", ["account_id", "id"])
    op.create_index("ix_ledger_hold", "ledger", ["hold_id"])


def downgrade() -> None:
    op.drop_table("ledger")
    op.drop_table("holds")
    op.drop_table("api_keys")
    op.drop_table("wallets")
    op.drop_table("accounts")
