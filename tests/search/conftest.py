"""Fixtures of the search tests: a synthetic NB201 table covering the whole space."""

from __future__ import annotations

import pytest
from search_synthetic import make_synthetic_table

from harness.tables.base import BenchmarkTable


@pytest.fixture(scope="session")
def synthetic_table() -> BenchmarkTable:
    return make_synthetic_table()
