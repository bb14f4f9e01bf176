"""Every plot function on small synthetic results: files written, not empty, labelled."""

from __future__ import annotations

import numpy as np
import pytest
from report_documents import make_document

from harness.report import groups_of, label_documents
from harness.report.plots import (
    oriented_ranks,
    pareto_front,
    plot_quality_vs_cost,
    plot_rank_scatter,
    plot_tau_bars,
    plot_tau_heatmap,
    plot_top_k_curves,
    tau_matrix,
    top_k_curves,
)
from harness.report.sweeps import distill_curves, distill_points, plot_ablation, plot_distill_curves
from harness.stats import top_k_overlap

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_figure(files, *labels: str) -> str:
    """Both files exist and are real; the SVG (text kept as text) holds every label."""
    assert files is not None
    assert files.png.read_bytes()[:8] == PNG_MAGIC
    assert files.png.stat().st_size > 2000
    svg = files.svg.read_text()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    for label in labels:
        assert label in svg, f"{label!r} missing from {files.svg.name}"
    return svg


def test_rank_scatter(run_group, tmp_path):
    svg = assert_figure(
        plot_rank_scatter(run_group, tmp_path, "rank"),
        "proxy score rank (percentile)",
        "true accuracy rank (percentile)",
    )
    for row in run_group.rows:
        assert row.proxy in svg
        assert f"τ = {row.kendall:.3f}" in svg


def test_rank_scatter_uses_hexbin_for_many_archs(tmp_path):
    rng = np.random.default_rng(0)
    truth = rng.uniform(size=400)
    doc = make_document({"p": truth + rng.normal(size=400)}, truth, resamples=20)
    group = groups_of(label_documents([doc])[0])[0]
    assert_figure(plot_rank_scatter(group, tmp_path, "hex"), "true accuracy rank (percentile)")


def test_rank_scatter_needs_per_arch_values(tmp_path):
    doc = make_document({"p": [1.0, 2.0, 3.0, 4.0]}, [1.0, 2.0, 4.0, 3.0], with_per_arch=False)
    group = groups_of(label_documents([doc])[0])[0]
    assert plot_rank_scatter(group, tmp_path, "none") is None
    assert plot_top_k_curves(group, tmp_path, "none") is None
    assert not list(tmp_path.iterdir())


def test_oriented_ranks_put_the_best_score_at_100():
    x, y = oriented_ranks([3.0, 1.0, None, 2.0], [10.0, 30.0, 5.0, 20.0], higher_is_better=False)
    # lower is better: score 1.0 is the best -> rank 100; the None row is dropped
    assert list(x) == pytest.approx([100 / 3, 100.0, 200 / 3])
    assert list(y) == pytest.approx([100 / 3, 100.0, 200 / 3])


def test_heatmap(run_source, ablation_source, tmp_path):
    groups = groups_of(run_source) + groups_of(ablation_source)
    svg = assert_figure(plot_tau_heatmap(groups, tmp_path, "heat"), "proxy", "Kendall τ")
    proxies, columns, matrix = tau_matrix(groups)
    assert matrix.shape == (len(proxies), len(groups))
    # only the varying part (the setting) labels a column; the run's column has none
    assert columns[0] == "nb201 · cifar10"
    assert columns[1:] == [
        "batch_size=8 · source=a",
        "batch_size=8 · source=b",
        "batch_size=16 · source=a",
        "batch_size=16 · source=b",
    ]
    good = run_source.document.rows[0]
    assert matrix[proxies.index("good"), 0] == pytest.approx(good.kendall)
    assert np.isnan(matrix[proxies.index("good"), 1])  # not measured in the ablation: grey
    means = np.nanmean(np.where(np.isfinite(matrix), matrix, np.nan), axis=1)
    assert list(means) == sorted(means, reverse=True)
    assert f"{good.kendall:.2f}" in svg


def test_tau_bars_are_sorted_with_whiskers(run_group, tmp_path):
    svg = assert_figure(
        plot_tau_bars(run_group, tmp_path, "bars"), "Kendall τ (95% bootstrap interval)", "proxy"
    )
    best_first = sorted(run_group.rows, key=lambda r: -r.kendall)
    # tick labels are written in the order given: top of the chart (the best) first
    positions = [svg.index(f">{r.proxy}<") for r in best_first]
    assert positions == sorted(positions)


def test_pareto_front():
    seconds = [1.0, 0.1, 0.5, 2.0, 0.1, 3.0]
    quality = [0.5, 0.2, 0.6, 0.55, 0.1, 0.7]
    # 0.1 s: 0.2 (0.1 is dominated), 0.5 s: 0.6 beats 1.0 s and 2.0 s, 3.0 s: 0.7
    assert pareto_front(seconds, quality) == [1, 2, 5]
    assert pareto_front([], []) == []


def test_quality_vs_cost(run_group, tmp_path):
    assert_figure(
        plot_quality_vs_cost(run_group, tmp_path, "cost"),
        "seconds per architecture (log scale)",
        "Kendall τ",
        "Pareto front",
    )


def test_quality_vs_cost_without_timings(tmp_path):
    doc = make_document({"p": [1.0, 2.0, 3.0, 4.0]}, [1.0, 2.0, 4.0, 3.0], seconds={"p": 0.0})
    group = groups_of(label_documents([doc])[0])[0]
    assert plot_quality_vs_cost(group, tmp_path, "cost") is None


def test_top_k_curves(run_group, tmp_path):
    svg = assert_figure(
        plot_top_k_curves(run_group, tmp_path, "topk"),
        "k (% of architectures)",
        "share of the true top-k% found (%)",
        "random ranking",
    )
    curves = top_k_curves(run_group)
    assert set(curves) == {r.proxy for r in run_group.rows}
    assert len(curves["good"]) == 50
    values = run_group.per_arch
    independent = top_k_overlap(values.scores["inverse"], values.truth, higher_is_better=False,
                                percentages=[10, 50])  # fmt: skip
    assert curves["inverse"][10] == pytest.approx(independent[10])
    assert curves["inverse"][50] == pytest.approx(independent[50])
    assert "inverse" in svg


def test_top_k_of_a_perfect_and_a_reversed_proxy(tmp_path):
    truth = np.arange(100.0)
    doc = make_document({"perfect": truth, "reversed": -truth}, truth, resamples=10)
    curves = top_k_curves(groups_of(label_documents([doc])[0])[0], percentages=[1, 10, 50])
    assert curves["perfect"] == {1: 1.0, 10: 1.0, 50: 1.0}
    assert curves["reversed"] == {1: 0.0, 10: 0.0, 50: 0.0}


def test_distill_curves(distill_source, tmp_path):
    assert_figure(
        plot_distill_curves(distill_source, tmp_path, "distill"), "epoch", "Kendall τ", "margin"
    )
    curves = distill_curves(distill_points(distill_source))
    last = next(c for c in curves if c["method"] == "margin" and c["epoch"] == 40)
    # taus 0.4 + 0.01 * seed for seeds 0, 1, 2
    assert last["mean"] == pytest.approx(0.41)
    assert (last["low"], last["high"], last["seeds"]) == (
        pytest.approx(0.40),
        pytest.approx(0.42),
        3,
    )


def test_distill_without_epochs_draws_nothing(run_source, tmp_path):
    assert plot_distill_curves(run_source, tmp_path, "none") is None


def test_ablation_lines(ablation_source, tmp_path):
    files = plot_ablation(ablation_source, tmp_path, "abl")
    assert [f.name for f in files] == ["abl-input_batch_size", "abl-input_source"]
    svg = assert_figure(files[1], "input.source", "Kendall τ", "sensitive", "steady")
    assert "batch_size=8" in svg and "batch_size=16" in svg  # one panel per other value


def test_ablation_lines_with_an_interval_beside_its_estimate(ablation_source, tmp_path):
    # A percentile bootstrap interval of a few architectures can exclude its estimate (a
    # 6-architecture ablation crashed matplotlib with negative error bars).
    from dataclasses import replace

    rows = ablation_source.document.rows
    rows[0] = replace(rows[0], kendall_lo=rows[0].kendall + 0.05, kendall_hi=rows[0].kendall + 0.1)
    files = plot_ablation(ablation_source, tmp_path, "abl")
    assert_figure(files[0], "input.batch_size")
