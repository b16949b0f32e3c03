"""A ledger row as callers read it: the account API's usage and the dashboard's usage page
(and its CSV) show the same fields, ids as strings and times in ISO-8601."""

from __future__ import annotations

from typing import Any

from apiinone.wire import iso

__all__ = ["ledger_row"]


def ledger_row(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "kind": row.kind,
        "amount": int(row.amount),
        "held_delta": int(row.held_delta),
        "balance_after": int(row.balance_after),
        "mode": row.mode,
        "model": row.model,
        "task_id": row.task_id,
        "hold_id": row.hold_id,
        "key_id": row.key_id,
        "reason": row.reason,
        "created_at": iso(int(row.created_at)),
    }
