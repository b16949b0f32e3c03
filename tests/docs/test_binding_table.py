"""docs/operator.md's table of the shipped bindings is the one examples/providers.toml makes
(`apiinone channels table`), so the two cannot drift."""

from __future__ import annotations

from pathlib import Path

from apiinone.catalog import load_catalog
from apiinone.providers.binding_table import binding_rows, markdown_table
from apiinone.providers.channels import read_document, read_entries

ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- bindings-table:start -->\n", "<!-- bindings-table:end -->"


def test_the_operator_guide_shows_the_bindings_of_the_example_file() -> None:
    catalog = load_catalog()
    entries = read_entries(read_document(ROOT / "examples" / "providers.toml"), catalog)
    expected = markdown_table(binding_rows(entries, catalog))
    text = (ROOT / "docs" / "operator.md").read_text()
    shown = text[text.index(START) + len(START) : text.index(END)]
    assert shown == expected, "regenerate: apiinone channels table --file examples/providers.toml"


def test_every_variant_and_mode_of_every_bound_model_has_a_row() -> None:
    catalog = load_catalog()
    entries = read_entries(read_document(ROOT / "examples" / "providers.toml"), catalog)
    rows = binding_rows(entries, catalog)
    unbound = {(row.model, str(row.key)) for row in rows if not row.served}
    assert ("kling-3", "std/text-to-video") not in unbound
    assert ("grok-imagine", "grok-imagine/upscale") in unbound
    assert ("hailuo-2-3", "hailuo/2-3-image-to-video-pro/768P") in unbound
    assert len({(row.model, str(row.key)) for row in rows}) == len(rows)
