"""`harness report` on a multi-target leaderboard (`harness leaderboard --targets`): a
proxies x targets heat map of Kendall τ, ↓ on lower-is-better targets."""

from __future__ import annotations

import dataclasses

import numpy as np
from report_documents import make_document
from test_report_plots import assert_figure

from harness.report import build_report, label_documents
from harness.report.plots import plot_target_heatmap

ACC, LAT = "cifar10/accuracy/valid/200", "cifar10/edgegpu_latency/hardware/-"


def _targets_document():
    rng = np.random.default_rng(3)
    accuracy, latency = rng.uniform(60, 95, 40), rng.uniform(1, 9, 40)
    scores = {
        "good": accuracy + rng.normal(0, 3, 40),
        "cheap": -latency,
        "noise": rng.normal(size=40),
    }
    by_accuracy = make_document(scores, accuracy, kind="leaderboard", target=ACC, resamples=20)
    by_cost = make_document(scores, -latency, kind="leaderboard", target=LAT, resamples=20)
    config = {**by_accuracy.config, "targets": [ACC, LAT], "lower_is_better": [LAT]}
    return dataclasses.replace(
        by_accuracy,
        config=config,
        rows=by_accuracy.rows + by_cost.rows,
        per_arch=by_accuracy.per_arch + by_cost.per_arch,
    )


def test_target_heatmap_draws_proxies_by_targets(tmp_path):
    document = _targets_document()
    files = plot_target_heatmap(document.rows, tmp_path, "t", lower_is_better=[LAT])
    assert_figure(files, "good", "cheap", "noise", "edgegpu_latency (cifar10, hardware) ↓",
                  "accuracy (cifar10, valid)", "Kendall τ per proxy and target")  # fmt: skip
    assert plot_target_heatmap([], tmp_path, "none") is None


def test_report_has_the_heatmap_of_a_multi_target_leaderboard(tmp_path):
    sources = label_documents([_targets_document()])
    build_report(sources, tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "Kendall τ per proxy and target" in page
    assert list((tmp_path / "figures").glob("*-targets-kendall-heatmap.png"))
