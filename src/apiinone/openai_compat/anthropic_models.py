"""``GET /v1/models`` in Anthropic's list shape, for requests with ``anthropic-version``.

The chat models this key may use, as ``{"type": "model", "id": slug, "display_name",
"created_at", "lifecycle": "active"}`` (RFC 3339; the catalog keeps no per-model dates,
so every model has the catalog's date), in catalog order, paged as Anthropic pages:
``limit`` (1 to 1000, default 20), ``after_id`` or ``before_id`` (a model id of the
list), and ``first_id``, ``last_id``, ``has_more``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

from starlette.requests import Request

from apiinone.auth.principal import Principal
from apiinone.catalog import ModelSpec
from apiinone.errors import InvalidRequest
from apiinone.wire import FastJSON

__all__ = ["ANTHROPIC_VERSION", "anthropic_list", "anthropic_model"]

ANTHROPIC_VERSION: Final = "anthropic-version"
CATALOG_DATE: Final = datetime(2026, 1, 1, tzinfo=UTC).isoformat().replace("+00:00", "Z")
DEFAULT_LIMIT: Final = 20
MOST: Final = 1000


def anthropic_model(model: ModelSpec) -> dict[str, Any]:
    return {
        "type": "model",
        "id": model.slug,
        "display_name": model.display_name,
        "created_at": CATALOG_DATE,
        "lifecycle": "active",
    }


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MOST:
        raise InvalidRequest(f"'limit' must be an integer from 1 to {MOST}", param="limit")
    return int(raw)


def _position(ids: list[str], name: str, value: str) -> int:
    if value not in ids:
        raise InvalidRequest(f"'{name}' must be the id of a listed model", param=name)
    return ids.index(value)


def anthropic_list(request: Request, principal: Principal, models: Iterable[ModelSpec]) -> FastJSON:
    listed = [m for m in models if m.kind == "chat" and principal.allows_model(m.slug)]
    ids = [m.slug for m in listed]
    query = request.query_params
    limit = _limit(query.get("limit"))
    after, before = query.get("after_id"), query.get("before_id")
    if after is not None:
        start = _position(ids, "after_id", after) + 1
        page = listed[start : start + limit]
        more = start + limit < len(listed)
    elif before is not None:
        end = _position(ids, "before_id", before)
        page = listed[max(0, end - limit) : end]
        more = end - limit > 0
    else:
        page = listed[:limit]
        more = limit < len(listed)
    data = [anthropic_model(m) for m in page]
    return FastJSON(
        {
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": more,
        }
    )
