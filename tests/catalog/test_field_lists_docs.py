"""The per-model field tables of the docs pages are the catalog's (``field_table_markdown``):
a mapping or a model added to the catalog shows up on the page, or this fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apiinone.catalog import load_catalog
from apiinone.catalog.field_lists import DOCS_FIELDS, field_table_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api"
PAGES = {
    "/api/v1/images/generations": "images.md",
    "/api/v1/videos/generations": "videos.md",
    "/api/v1/audio/music": "music.md",
    "/api/v1/audio/speech": "speech.md",
}


@pytest.mark.parametrize(("endpoint", "page"), PAGES.items())
def test_docs_table_matches_the_catalog(endpoint: str, page: str) -> None:
    text = (DOCS / page).read_text()
    found = re.search(
        rf"<!-- field-table {re.escape(endpoint)} [^>]*-->\n(.*?)\n<!-- /field-table -->",
        text,
        re.DOTALL,
    )
    assert found is not None, f"{page} has no field table for {endpoint}"
    catalog = load_catalog()
    assert found.group(1) == field_table_markdown(catalog.for_endpoint(endpoint), endpoint)


def test_every_native_generation_endpoint_has_a_page() -> None:
    assert set(PAGES) <= set(DOCS_FIELDS)
