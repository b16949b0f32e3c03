"""One shipped catalog for the catalog tests (it is immutable, so sharing is safe)."""

from __future__ import annotations

import pytest

from apiinone.catalog import Catalog, load_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()
