"""benchmarks/published.py: its anchors, its figures, and a table from a small real run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.config import load_run_config
from harness.errors import DataError
from harness.experiment import run_experiment
from harness.proxies import get_proxy, list_proxies
from harness.stats import seed_correlations, summarise

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "published.py"
_spec = importlib.util.spec_from_file_location("published_script", SCRIPT)
published = importlib.util.module_from_spec(_spec)
sys.modules["published_script"] = published  # its dataclasses look their module up
_spec.loader.exec_module(published)


def test_every_anchor_names_a_registered_or_pending_proxy_and_a_source():
    assert len(published.ANCHORS) > 40
    for name in published.PENDING_PROXIES:  # a pending proxy that landed leaves the list
        assert name not in list_proxies(), name
    for anchor in published.ANCHORS:
        if anchor.proxy not in published.PENDING_PROXIES:
            get_proxy(anchor.proxy)
        assert anchor.source in published.SOURCES
        assert len(anchor.values) == 3 and any(v is not None for v in anchor.values)
        assert published.SOURCES[anchor.source].statistic in published.SYMBOLS


def test_vkdnw_table_1_rows_are_there_with_their_statistics():
    rows = {(a.source, a.proxy): a.values for a in published.ANCHORS}
    assert rows[("V-τ", "vkdnw_agg")] == (0.750, 0.753, 0.743)
    assert rows[("V-ρ", "vkdnw_agg")] == (0.919, 0.919, 0.906)
    assert rows[("V-n", "vkdnw_agg")] == (0.785, 0.636, 0.664)
    assert rows[("V-τ", "az_nas")] == (0.712, 0.696, 0.673)
    assert rows[("V-τ", "layers")] == (0.626, 0.646, 0.623)
    assert rows[("V-ρ", "gradsign_sum")] == (0.765, 0.793, 0.783)
    assert ("V-τ", "gradsign") not in rows  # VKDNW quotes GradSign's own ρ only
    assert published.SOURCES["V-n"].statistic == "ndcg"
    # a proxy no run scored is "not run", not an error
    assert published.pick_run([], "vkdnw_agg", "cifar10", "as_trained") is None
    assert published._cell(0.785, None) == ("0.785", "not run")


def test_figure_gives_ndcg_with_its_interval_single_and_seeded():
    rng = np.random.default_rng(1)
    truth = rng.uniform(70, 95, 60)
    scores = truth + rng.normal(0, 3, (1, 60))
    single = published.figure(scores, truth, "ndcg", True, n_resamples=200)
    expected = summarise(scores[0], truth, n_resamples=200, failures="worst")
    assert (single.estimate, single.low, single.high) == (
        expected.ndcg, expected.ndcg_lo, expected.ndcg_hi,
    )  # fmt: skip
    seeds = truth + rng.normal(0, 3, (3, 60))
    seeded = published.figure(seeds, truth, "ndcg", True, n_resamples=200)
    interval = seed_correlations(seeds, truth, n_resamples=200, failures="worst").ndcg
    assert (seeded.estimate, seeded.low, seeded.high) == (
        interval.estimate, interval.low, interval.high,
    )  # fmt: skip


def test_figure_folds_absolute_values_and_uses_seeds():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=60)
    scores = -(truth + rng.normal(size=(1, 60)))
    plain = published.figure(scores, truth, "spearman", True, n_resamples=200)
    folded = published.figure(scores, truth, "spearman", True, absolute=True, n_resamples=200)
    assert plain.estimate < 0 and folded.estimate == -plain.estimate
    assert (folded.low, folded.high) == (-plain.high, -plain.low)
    single = summarise(scores[0], truth, n_resamples=200, failures="worst")
    assert (plain.low, plain.high) == (single.spearman_lo, single.spearman_hi)
    seeds = truth + rng.normal(size=(3, 60))
    seeded = published.figure(seeds, truth, "kendall", True, n_resamples=200)
    expected = seed_correlations(seeds, truth, n_resamples=200, failures="worst").kendall
    assert (seeded.estimate, seeded.low, seeded.high, seeded.seeds) == (
        expected.estimate,
        expected.low,
        expected.high,
        3,
    )


def test_tables_from_a_small_run(real_data_dir, tmp_path, capsys):
    config = load_run_config(
        None,
        [
            'table="suite-zero-nb201"',
            'target="cifar10-valid/valid/200"',
            "archs=8",
            "unique=false",
            'network_variant="proxy_bn"',
            'proxies="params,flops"',
            f'store="{tmp_path / "s.sqlite"}"',
            'input.source="synthetic"',
            "input.batch_size=8",
            "bootstrap_resamples=20",
            'executor="serial"',
        ],
    )
    outcome = run_experiment(config, data_dir=str(real_data_dir), run_id="p", progress=False)
    outcome.document.write(tmp_path / "run" / "results.json")
    code = published.main(
        [str(tmp_path / "run"), "--data-dir", str(real_data_dir), "--resamples", "50"]
        + ["--out", str(tmp_path / "out")]
    )
    assert code == 0
    text = capsys.readouterr().out
    params = next(line for line in text.splitlines() if line.startswith("| Z | params"))
    assert params.split("|")[5].strip() not in ("", "not run")  # CIFAR-10 ours
    assert "not run" in params  # no CIFAR-100 run given
    # The file's own figure on all its rows, as `harness leaderboard --table` prints it.
    assert "| cifar10 | params → params | 0.738 / 0.562 (724) |" in text
    assert (tmp_path / "out" / "published.json").exists()


def test_a_missing_document_is_a_data_error(tmp_path):
    with pytest.raises(DataError):
        published.main([str(tmp_path / "missing.json")])


def test_inside_counts_counts_only_figures_we_ran() -> None:
    records = [
        {"dataset": "cifar10", "theirs": 0.5, "ours": {"low": 0.4, "high": 0.6}},
        {"dataset": "cifar10", "theirs": 0.7, "ours": {"low": 0.4, "high": 0.6}},
        {"dataset": "cifar100", "theirs": 0.5, "ours": None},
    ]
    line = published.inside_counts(records)
    assert "cifar10 1 of 2" in line
    assert "cifar100 0 of 0" in line
