"""Table definitions (SQLAlchemy Core). Times are integer milliseconds since the epoch (UTC)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from apiinone.db.task_row import task_columns

__all__ = [
    "accounts",
    "api_keys",
    "audit_log",
    "channels",
    "chat_requests",
    "files",
    "hold_leases",
    "holds",
    "idempotency_keys",
    "ledger",
    "metadata",
    "orders",
    "price_overrides",
    "redemption_batches",
    "redemption_codes",
    "responses",
    "sessions",
    "tasks",
    "wallets",
    "webhook_attempts",
    "webhook_deliveries",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("password_hash", String(200), nullable=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    # Standard Webhooks signing secret ("whsec_" + base64); shown to its owner, rotatable.
    Column("webhook_secret", String(100), nullable=True),
)

# One wallet per account and mode: "live" credits are real, "test" credits are for
# aio_test_ keys, which only reach the sandbox.
wallets = Table(
    "wallets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("mode", String(8), nullable=False),
    Column("balance", BigInteger, nullable=False, default=0),
    Column("held", BigInteger, nullable=False, default=0),
    UniqueConstraint("account_id", "mode", name="uq_wallets_account_mode"),
    CheckConstraint("balance >= 0", name="balance_nonnegative"),
    CheckConstraint("held >= 0", name="held_nonnegative"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("mode", String(8), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    Column("rotated_to", String(40), nullable=True),
    Column("allowed_models", Text, nullable=True),
    Column("rate_limit_per_minute", Integer, nullable=True),
    Column("spend_cap", BigInteger, nullable=True),
    # Credits held or captured through this key (what the spend cap counts).
    Column("spent", BigInteger, nullable=False, default=0),
    Index("ix_api_keys_account", "account_id"),
)

holds = Table(
    "holds",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("wallet_id", Integer, ForeignKey("wallets.id"), nullable=False),
    Column("key_id", String(40), nullable=True),
    Column("amount", BigInteger, nullable=False),
    Column("captured", BigInteger, nullable=False, default=0),
    Column("status", String(10), nullable=False),
    Column("task_id", String(64), nullable=True),
    Column("model", String(120), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("settled_at", BigInteger, nullable=True),
    # The process that made a chat hold (its row in hold_leases); NULL for a task's hold.
    Column("owner", String(40), nullable=True),
    CheckConstraint("amount >= 0", name="amount_nonnegative"),
)

# One row per live gateway process: its chat holds are its own while lease_until is ahead;
# once it lapses, any process releases them (billing/hold_lease.py).
hold_leases = Table(
    "hold_leases",
    metadata,
    Column("owner", String(40), primary_key=True),
    Column("label", String(120), nullable=False),
    Column("lease_until", BigInteger, nullable=False),
)

# Every change to a wallet is one row here, written in the same transaction.
# amount = change of balance (available credits); held_delta = change of held credits.
# Invariants: sum(amount) == wallet.balance and sum(held_delta) == wallet.held.
ledger = Table(
    "ledger",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("wallet_id", Integer, ForeignKey("wallets.id"), nullable=False),
    Column("mode", String(8), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("held_delta", BigInteger, nullable=False, default=0),
    Column("balance_after", BigInteger, nullable=False),
    Column("hold_id", String(40), nullable=True),
    Column("task_id", String(64), nullable=True),
    Column("key_id", String(40), nullable=True),
    Column("model", String(120), nullable=True),
    Column("reason", String(500), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_ledger_account_id", "account_id", "id"),
    Index("ix_ledger_hold", "hold_id"),
)

# The database row is the truth about a task. status moves only by compare-and-set:
# queued -> processing -> completed | failed | canceled.
tasks = Table(
    "tasks",
    metadata,
    *task_columns(),  # the one list of its columns: db/task_row.py
    Index("ix_tasks_due", "status", "next_run_at"),
    Index("ix_tasks_account", "account_id", "created_at"),
    Index("ix_tasks_account_status", "account_id", "status"),
    Index("ix_tasks_request_fingerprint", "request_fingerprint"),
)

files = Table(
    "files",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("task_id", String(40), nullable=True),
    Column("purpose", String(12), nullable=False),
    Column("name", String(200), nullable=False),
    Column("content_type", String(120), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("storage_key", String(300), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Index("ix_files_task", "task_id"),
    Index("ix_files_expires", "expires_at"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("task_id", String(40), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=True),
    Column("lease_until", BigInteger, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("completed_at", BigInteger, nullable=True),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_task", "task_id"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("delivery_id", String(40), ForeignKey("webhook_deliveries.id"), nullable=False),
    Column("task_id", String(40), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", String(500), nullable=True),
    Column("success", Boolean, nullable=False),
    Index("ix_webhook_attempts_delivery", "delivery_id"),
)

# Idempotency-Key records: the answer to (API key, Idempotency-Key), kept and replayed.
# An in-flight record is held by its owner's lease; no record ever holds a secret.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key_id", String(40), nullable=False),
    Column("key", String(255), nullable=False),
    Column("account_id", String(40), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status", String(10), nullable=False),
    Column("owner", String(32), nullable=True),
    Column("lease_expires_at", BigInteger, nullable=True),
    Column("response_status", Integer, nullable=True),
    Column("response_headers", Text, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("key_id", "key", name="pk_idempotency_keys"),
    Index("ix_idempotency_keys_expires", "expires_at"),
)

# Dashboard sessions: the cookie holds 32 random bytes; only their SHA-256 is stored.
sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("user_agent", String(300), nullable=True),
    # The key a session was opened with (None: a password login); the session is that key.
    Column("key_id", String(40), ForeignKey("api_keys.id"), nullable=True),
    Index("ix_sessions_account", "account_id"),
    Index("ix_sessions_expires", "expires_at"),
)

# Top-up orders. status moves only by compare-and-set: pending -> paid | expired | failed;
# the move to paid is in the same transaction as its "topup" ledger row.
orders = Table(
    "orders",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("package_id", String(40), nullable=False),
    Column("credits", BigInteger, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(12), nullable=False),
    Column("provider", String(16), nullable=False),
    Column("provider_session_id", String(255), nullable=True, unique=True),
    Column("provider_payment_id", String(255), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("paid_at", BigInteger, nullable=True),
    Index("ix_orders_account", "account_id", "created_at"),
    CheckConstraint("credits > 0", name="credits_positive"),
)

redemption_batches = Table(
    "redemption_batches",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("credits", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    CheckConstraint("credits > 0", name="credits_positive"),
)

# One row per code: only the SHA-256 of the normalized code is stored (80 random bits, so
# the hash cannot be reversed by guessing). redeemed_by is set once, by compare-and-set,
# in the same transaction as the "redeem" ledger row.
redemption_codes = Table(
    "redemption_codes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("batch_id", String(40), ForeignKey("redemption_batches.id"), nullable=False),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("last4", String(4), nullable=False),
    Column("credits", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Column("redeemed_by", String(40), ForeignKey("accounts.id"), nullable=True),
    Column("redeemed_at", BigInteger, nullable=True),
    Index("ix_redemption_codes_batch", "batch_id"),
)

# Price overrides set in the admin console: the [models.price] table of one model, as JSON,
# applied over the shipped catalog and the operator's catalog file.
price_overrides = Table(
    "price_overrides",
    metadata,
    Column("slug", String(120), primary_key=True),
    Column("price", Text, nullable=False),
    Column("updated_by", String(40), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# Stored /v1/responses answers (``store``): the response object, this turn's input items,
# and the whole conversation as chat messages (for ``previous_response_id``), until expiry.
responses = Table(
    "responses",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Column("input_items", Text, nullable=False),
    Column("messages", Text, nullable=False),
    Index("ix_responses_expires", "expires_at"),
)

# The console's tables (audit trail, chat request log, stored channels) share this metadata.
from apiinone.db.console_tables import audit_log, channels, chat_requests  # noqa: E402
