"""``apiinone channels``: check the providers file offline, or its upstreams live.

``check`` reads the providers file against the catalog: every binding must fit its model's
variants and modes, every adapter must accept its ids and options, and every credential
must be there; it prints one row per variant and mode bound (and the unbound ones, which
the gateway refuses with a 400). ``--live`` also sends each bound upstream id the cheapest
real call (``providers/probe.py``) with the channel's own key and shows what came back.
``table`` prints the bindings as the Markdown table of docs/operator.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from apiinone.cli.runtime import console, err_console, settings_or_exit

if TYPE_CHECKING:
    from apiinone.catalog import Catalog
    from apiinone.catalog.routing import RouteKey
    from apiinone.providers.channels import ChannelEntry

__all__ = ["channels", "find_schema"]

channels = typer.Typer(help="Check the providers file and its upstreams.", no_args_is_help=True)
_PLACEHOLDER = "placeholder-credential-for-the-offline-check"


@dataclass
class _Row:
    model: str
    key: RouteKey
    channel: str  # "" for a variant and mode no channel binds
    upstream: str
    ok: bool
    status: str
    latency: str = ""


def find_schema(root: Path | None, adapter: str, upstream: str) -> Path | None:
    """The provider's published input schema of a bound endpoint, when a fixture set has it:
    ``<root>/<adapter>/schemas/<upstream id>.json`` (an id's ``/`` as directories, or as
    ``__`` in one file name). A hook: the schema is only reported for now."""
    if root is None:
        return None
    base = root / adapter / "schemas"
    for candidate in (base / f"{upstream}.json", base / f"{upstream.replace('/', '__')}.json"):
        if candidate.is_file():
            return candidate
    return None


@channels.command("check")
def check(
    model: Annotated[
        list[str] | None, typer.Option("--model", help="Only this catalog model (repeatable)")
    ] = None,
    live: Annotated[
        bool, typer.Option("--live", help="Call each bound upstream id with the real key")
    ] = False,
    file: Annotated[
        Path | None, typer.Option("--file", help="Providers file (default: the configured one)")
    ] = None,
    schemas: Annotated[
        Path | None, typer.Option("--schemas", help="Fixture root with <adapter>/schemas/")
    ] = None,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds per live call")] = 30.0,
) -> None:
    """Validate the providers file (offline), or call its upstreams (--live)."""
    from apiinone.catalog import CatalogError, load_catalog
    from apiinone.providers.channels import ChannelFileError, read_document, read_entries

    settings = settings_or_exit()
    path = file or settings.providers_file
    if path is None:
        err_console.print("[red]error[/red] no providers file: set APIINONE_PROVIDERS_FILE")
        raise typer.Exit(2)
    try:
        catalog = load_catalog(settings.catalog_file)
        entries = read_entries(read_document(path), catalog)
    except (ChannelFileError, CatalogError) as exc:
        err_console.print(f"[red]configuration error[/red] {exc}")
        raise typer.Exit(2) from None
    wanted = set(model or ())
    unknown = sorted(wanted - {m.slug for m in catalog.models})
    if unknown:
        err_console.print(f"[red]error[/red] unknown catalog model(s): {', '.join(unknown)}")
        raise typer.Exit(2)
    rows = _rows(entries, catalog, wanted, schemas=schemas, live=live, timeout=timeout)
    shown = Table(title=f"{path}{' (live)' if live else ''}")
    for column in ("model", "variant", "mode", "channel", "upstream id", "status"):
        shown.add_column(column, overflow="fold")
    if live:
        shown.add_column("latency", justify="right")
    for row in rows:
        style = "green" if row.ok else ("yellow" if not row.channel else "red")
        cells = [row.model, row.key.variant or "—", row.key.mode or "—"]
        cells += [row.channel or "—", row.upstream or "—"]
        cells.append(f"[{style}]{row.status}[/{style}]")
        shown.add_row(*cells, *([row.latency] if live else []))
    console.print(shown)
    failed = [row for row in rows if row.channel and not row.ok]
    console.print(f"{len(rows)} rows, {len(failed)} problem(s)")
    if failed:
        raise typer.Exit(1)


@channels.command("table")
def table(
    file: Annotated[
        Path | None, typer.Option("--file", help="Providers file (default: the configured one)")
    ] = None,
) -> None:
    """Print the bindings as a Markdown table (each variant and mode, and what serves it)."""
    from apiinone.catalog import load_catalog
    from apiinone.providers.binding_table import binding_rows, markdown_table
    from apiinone.providers.channels import ChannelFileError, read_document, read_entries

    settings = settings_or_exit()
    path = file or settings.providers_file
    if path is None:
        err_console.print("[red]error[/red] no providers file: set APIINONE_PROVIDERS_FILE")
        raise typer.Exit(2)
    try:
        catalog = load_catalog(settings.catalog_file)
        rows = binding_rows(read_entries(read_document(path), catalog), catalog)
    except ChannelFileError as exc:
        err_console.print(f"[red]configuration error[/red] {exc}")
        raise typer.Exit(2) from None
    print(markdown_table(rows), end="")


def _rows(
    entries: Sequence[ChannelEntry],
    catalog: Catalog,
    wanted: set[str],
    *,
    schemas: Path | None,
    live: bool,
    timeout: float,
) -> list[_Row]:
    from apiinone.catalog.routing import route_keys
    from apiinone.providers.channels import ChannelFileError, read_credential

    rows: list[_Row] = []
    for entry in entries:
        try:
            credential: str | None = read_credential(entry.raw, entry.name)
            problem = ""
        except ChannelFileError as exc:
            credential, problem = None, str(exc).removeprefix(f"channel {entry.name}: ")
        for slug, binding in entry.models.items():
            if wanted and slug not in wanted:
                continue
            for upstream in binding.ids:
                unit = entry.unit_name(slug, upstream)
                ok, status, latency = _status(entry, unit, upstream, credential, problem)
                if ok and live and credential is not None:
                    ok, status, latency = _probe(entry, upstream, credential, timeout)
                schema = find_schema(schemas, entry.adapter, upstream)
                if schema is not None:
                    status += f"; schema {schema.name}"
                for key in binding.routes_of(upstream):
                    rows.append(_Row(slug, key, unit, upstream, ok, status, latency))
    for model in catalog.models:
        if wanted and model.slug not in wanted:
            continue
        bound = {
            key for e in entries if model.slug in e.models for key in e.models[model.slug].upstreams
        }
        if bound:
            rows.extend(
                _Row(model.slug, key, "", "", False, "not bound: refused (400)")
                for key in route_keys(model)
                if key not in bound
            )
    order = {
        (m.slug, key): (i, j)
        for i, m in enumerate(catalog.models)
        for j, key in enumerate(route_keys(m))
    }
    rows.sort(key=lambda row: order[(row.model, row.key)])
    return rows


def _status(
    entry: ChannelEntry, unit: str, upstream: str, credential: str | None, problem: str
) -> tuple[bool, str, str]:
    """Offline: the adapter builds the channel (ids, options) and the credential is there."""
    from apiinone.providers.channels import build_provider
    from apiinone.providers.http import ChannelConfig

    config = ChannelConfig(
        name=unit,
        base_url=entry.base_url,
        credential=credential or _PLACEHOLDER,
        upstream_model=upstream,
        options=entry.options,
    )
    try:
        build_provider(entry.adapter, config)
    except (ValueError, TypeError) as exc:
        return False, f"invalid: {exc}", ""
    if problem:
        return False, problem, ""
    return True, "ok", ""


def _probe(
    entry: ChannelEntry, upstream: str, credential: str, timeout: float
) -> tuple[bool, str, str]:
    """The cheapest real call for one bound id, with the channel's key."""
    from apiinone.providers.probe_call import run_probe

    outcome = run_probe(entry.adapter, entry.base_url, credential, upstream, timeout=timeout)
    latency = "" if outcome.latency_ms is None else f"{outcome.latency_ms} ms"
    return outcome.ok, outcome.detail, latency
