"""The operator console's tables: the audit trail, the chat request log and the provider
channels stored in the database. They share :data:`apiinone.db.tables.metadata`, and
``tables`` re-exports them, so the schema is one whole wherever it is read."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from apiinone.db.tables import metadata

__all__ = ["audit_log", "channels", "chat_requests"]

# The audit trail: one row per admin action (src/apiinone/audit/). ``actor_id`` is the admin
# account (null for the operator's CLI); ``before``/``after`` are JSON, never secrets.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
    Column("actor_id", String(40), nullable=True),
    Column("actor", String(120), nullable=False),
    Column("via", String(16), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(120), nullable=False),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Index("ix_audit_log_created", "created_at"),
    Index("ix_audit_log_action_created", "action", "created_at"),
    Index("ix_audit_log_target", "target"),
)

# The chat request log (src/apiinone/requestlog/): one row per chat completion, written in
# batches off the request path and kept for ``request_log_retention_days``.
chat_requests = Table(
    "chat_requests",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), nullable=False),
    Column("key_id", String(40), nullable=True),
    Column("mode", String(8), nullable=False),
    Column("model", String(120), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("stream", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("prompt_tokens", Integer, nullable=True),
    Column("completion_tokens", Integer, nullable=True),
    Column("tokens_estimated", Boolean, nullable=False),
    Column("latency_ms", Integer, nullable=False),
    Column("first_token_ms", Integer, nullable=True),
    Column("credits", BigInteger, nullable=False),
    Column("error", String(300), nullable=True),
    Index("ix_chat_requests_account_created", "account_id", "created_at"),
    Index("ix_chat_requests_created", "created_at"),
)

# Provider channels added through the admin API or console (src/apiinone/providers/
# channel_store.py): ``spec`` is the channel's ``[[channels]]`` table as JSON, without its
# credential; ``credential`` is sealed (apiinone.sealing) and bound to the row's id.
channels = Table(
    "channels",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("spec", Text, nullable=False),
    Column("credential", Text, nullable=False),
    Column("credential_last4", String(4), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("updated_by", String(120), nullable=False),
)
