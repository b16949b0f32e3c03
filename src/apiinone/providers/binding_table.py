"""Every variant and mode of every bound model, and what serves it: the table of a providers
file (``apiinone channels table``; docs/operator.md holds the shipped file's, checked equal)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from apiinone.catalog import Catalog
from apiinone.catalog.routing import RouteKey, route_keys
from apiinone.providers.channels import ChannelEntry

__all__ = ["BindingRow", "binding_rows", "markdown_table"]


@dataclass(frozen=True, slots=True)
class BindingRow:
    model: str
    key: RouteKey
    served: tuple[tuple[str, str], ...]  # (channel, upstream id), in failover order


def binding_rows(entries: Sequence[ChannelEntry], catalog: Catalog) -> list[BindingRow]:
    """One row per variant and mode of each model some channel binds, in catalog order; a
    row with nothing ``served`` is refused with a 400."""
    bound = {slug for entry in entries for slug in entry.models}
    ordered = sorted(entries, key=lambda entry: entry.priority)  # stable: file order within
    rows = []
    for model in catalog.models:
        if model.slug not in bound:
            continue
        for key in route_keys(model):
            served = tuple(
                (entry.name, upstream)
                for entry in ordered
                if model.slug in entry.models
                and (upstream := entry.models[model.slug].upstreams.get(key)) is not None
            )
            rows.append(BindingRow(model.slug, key, served))
    return rows


def markdown_table(rows: Sequence[BindingRow]) -> str:
    lines = [
        "| model | variant | mode | served by (channel: upstream id, in failover order) |",
        "|---|---|---|---|",
    ]
    for row in rows:
        served = "<br>".join(f"`{name}`: `{upstream}`" for name, upstream in row.served)
        lines.append(
            f"| `{row.model}` | {_cell(row.key.variant)} | {_cell(row.key.mode)} | "
            f"{served or 'not bound: refused (400)'} |"
        )
    return "\n".join(lines) + "\n"


def _cell(value: str | None) -> str:
    return f"`{value}`" if value is not None else "—"
