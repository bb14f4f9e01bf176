"""The selections of the one figure list that distill's and combine's own tables read."""

from __future__ import annotations

import dataclasses

import pytest

from harness.combine.report import held_out_figures
from harness.distill.experiment import reference_keys
from harness.report.plots import statistic_label
from harness.stats import COMPARED_BY, FIGURES, list_figures, register_figure


def _names(figures) -> list[str]:
    return [f.name for f in figures]


def test_the_correlations_are_the_typed_interval_figures():
    assert _names(list_figures(column=True, interval=True)) == ["kendall", "spearman", "pearson"]
    assert _names(list_figures(column=True, interval=True, pooled=True)) == ["kendall", "spearman"]
    assert _names(list_figures(column=True, interval=True, pooled=False)) == ["pearson"]
    assert "ndcg" in _names(list_figures(interval=True, column=False))


def test_distill_and_combine_selections_read_the_list():
    assert _names(held_out_figures()) == ["kendall", "spearman"]
    assert COMPARED_BY in FIGURES
    assert reference_keys() == [
        "n", "n_failed", "kendall", "kendall_lo", "kendall_hi", "spearman", "pearson",
    ]  # fmt: skip


@pytest.fixture
def relabelled_spearman():
    saved = FIGURES.snapshot()
    register_figure(dataclasses.replace(FIGURES["spearman"], label="Probe ρ"), replace=True)
    yield
    FIGURES.restore(saved)


def test_a_label_is_read_from_the_list(relabelled_spearman):
    assert statistic_label("spearman") == "Probe ρ"
    assert statistic_label("kendall") == "Kendall τ"
    assert statistic_label("not-a-figure") == "not-a-figure"
    assert [f.label for f in held_out_figures()] == ["Kendall τ", "Probe ρ"]
