"""The combine report says plainly whether and from which k a learned combination beats
the best single proxy, and when it does not."""

from __future__ import annotations

import pytest

from harness.combine.evaluate import BEST_LABEL_FREE, BEST_PROXY
from harness.combine.report import needed_k, plain_statements, verdict
from harness.results import ResultRow


def _row(model: str, k: int, low: float, high: float, free: tuple[float, float] = (-1, 1)):
    def difference(proxy: str, lo: float, hi: float):
        return {"proxy": proxy, "comparator_kendall": 0.6, "delta": (lo + hi) / 2, "low": lo,
                "high": hi, "p_value": 0.5, "n_better": 0, "n_worse": 0}  # fmt: skip

    return ResultRow(
        "nb201", "cifar10", "t", f"{model} (k={k})", True, 100, 0, 0.6, 0.5, 0.7,
        0.8, 0.7, 0.9, None, origin="learned",
        extra={"evaluation": "held out", "model": model, "k": k, "splits": 20,
               "versus": {BEST_PROXY: difference("meco", low, high),
                          BEST_LABEL_FREE: difference("vote", *free)}},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(0.01, 0.1, "beats it"), (-0.1, 0.1, "does not beat it"), (-0.1, -0.01, "worse")],
)
def test_verdict_reads_the_interval_of_the_difference(low, high, expected):
    assert verdict({"low": low, "high": high}) == expected
    assert verdict(None) == "no figure"


def test_needed_k_and_the_plain_statements():
    rows = [
        _row("ridge", 10, -0.1, 0.05),
        _row("ridge", 50, 0.01, 0.1, free=(0.005, 0.05)),
        _row("ridge", 100, -0.01, 0.1),
        _row("gbt", 10, -0.2, -0.05),
        _row("gbt", 50, -0.1, 0.1),
    ]
    assert needed_k(rows, "ridge") == 50
    assert needed_k(rows, "gbt") is None
    ridge, gbt = plain_statements(rows)
    assert "ridge beats the best single proxy (meco)** significantly from k = 50" in ridge
    assert "(but not at k = 100)" in ridge and "label-free combination (vote) from k = 50" in ridge
    assert "gbt does not beat the best single proxy (meco)** significantly at any k" in gbt
    assert "significantly worse at k = 10" in gbt and "does not beat the best label-free" in gbt


def test_the_weights_table_names_the_tree_models_that_ran():
    from harness.combine.report import _weights_table

    rows = [_row(model, 100, 0.0, 0.1) for model in ("ridge", "forest", "gbt")]
    for row in rows:
        row.extra.update(features=["a"], feature_weights={"a": 0.5}, feature_weights_sd={"a": 0})
    text = "\n".join(_weights_table(rows))
    assert "forest and gbt: impurity importances" in text
    assert "| feature | ridge | forest | gbt |" in text
    assert "gbt: impurity importances" in "\n".join(_weights_table(rows[:1]))
