"""Fixtures of the report tests: synthetic documents, labelled as a report labels them."""

from __future__ import annotations

import pytest
from report_documents import ablation_document, distill_document, standard_document

from harness.report import groups_of, label_documents


@pytest.fixture
def run_source():
    return label_documents([standard_document()])[0]


@pytest.fixture
def run_group(run_source):
    return groups_of(run_source)[0]


@pytest.fixture
def ablation_source():
    return label_documents([ablation_document()])[0]


@pytest.fixture
def distill_source():
    return label_documents([distill_document()])[0]
