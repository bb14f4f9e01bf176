"""`run_search` end to end on a synthetic NB201 table (offline), and proxy scores shared
with `harness run` through the score store."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from harness.config import load_run_config
from harness.errors import ConfigError, UnknownNameError
from harness.results import ResultsDocument
from harness.search import runner
from harness.search.config import load_search_config
from harness.search.report import plot_regret, summary_csv, summary_markdown
from harness.store import ScoreStore


@pytest.fixture
def synthetic_tables(monkeypatch, synthetic_table):
    def fake_load_table(name, data_dir=None, **options):
        return synthetic_table

    monkeypatch.setattr(runner, "load_table", fake_load_table)
    import harness.experiment

    monkeypatch.setattr(harness.experiment, "load_table", fake_load_table)
    return synthetic_table


def test_run_search_records_curves_summaries_and_pairwise(synthetic_tables, tmp_path):
    checkpoint = tmp_path / "supernet.pt"
    checkpoint.write_bytes(b"fake")
    truth = synthetic_tables.frame["cifar10/accuracy/test/200"]

    def loader(path):
        return lambda arch: float(truth[arch]) + zlib.crc32(arch.encode()) % 3  # rough

    config = load_search_config(
        None,
        [
            "budget=40",
            "seeds=3",
            f'estimators=["oracle", "noisy:1", "lowfi", "supernet:{checkpoint}"]',
            "pairwise.pool_archs=60",
            "pairwise.pairs=500",
            "bootstrap_resamples=50",
        ],
    )
    outcome = runner.run_search(
        config, data_dir=None, run_id="t", progress=False, supernet_loader=loader
    )
    best = float(truth.max())
    assert outcome.setup.best == best
    rows = {row.proxy: row for row in outcome.document.rows}
    assert set(rows) == {
        "oracle",
        "noisy_oracle(sd=1)",
        "lowfi(cifar10/accuracy/test/12)",
        "supernet(supernet.pt)",
    }
    oracle = rows["oracle"]
    assert oracle.kendall == pytest.approx(1.0)
    assert oracle.extra["kendall_space"]["mean"] == pytest.approx(1.0)
    assert 0.3 < rows["noisy_oracle(sd=1)"].extra["kendall_space"]["mean"] < 1.0
    for strategy in ("relativenas", "rea", "random"):
        summary = oracle.extra["search"][strategy]
        curve = oracle.extra["curves"][strategy]
        assert summary["final_accuracy"]["n"] == 3
        assert len(curve["returned_accuracy"]) == 3 and curve["steps"] == 40
        regret = np.asarray(curve["regret_mean"])
        assert np.all(np.diff(regret) <= 1e-9)  # the oracle's pick only improves
        finals = summary["final_accuracies"]
        assert summary["final_accuracy"]["mean"] == pytest.approx(np.mean(finals))
        assert summary["final_regret"]["mean"] == pytest.approx(best - np.mean(finals))
        # with the oracle, the returned architecture is the best evaluated one
        assert curve["returned_accuracy"] == curve["best_evaluated_accuracy"]
    pairwise = oracle.extra["pairwise"]
    assert set(pairwise) == {"random", "margin", "trajectory"}
    assert pairwise["random"]["accuracy"] == 1.0 and pairwise["trajectory"]["pairs"] > 0
    noisy = rows["noisy_oracle(sd=1)"].extra["pairwise"]
    assert noisy["random"]["pairs"] == 3 * pairwise["random"]["pairs"]  # pooled over seeds
    assert noisy["random"]["accuracy"] < 1.0

    path = outcome.document.write(tmp_path / "results.json")
    again = ResultsDocument.read(path)
    assert again.kind == "search" and len(again.rows) == 4
    markdown = summary_markdown(again.rows, "t")
    assert "| oracle | 1.000 | 1.000 | relativenas | 3 |" in markdown
    assert "trajectory" in markdown
    assert summary_csv(again.rows).count("\n") == 1 + 4 * 3
    png = plot_regret(again.rows, tmp_path / "regret.png", "t")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_same_results(synthetic_tables):
    config = load_search_config(None, ["budget=30", "seeds=2", "pairwise.enabled=false"])
    first = runner.run_search(config, data_dir=None, run_id="a", progress=False)
    second = runner.run_search(config, data_dir=None, run_id="b", progress=False)
    assert [r.traces for r in first.runs] == [r.traces for r in second.runs]


def test_proxy_estimator_shares_scores_with_harness_run(synthetic_tables, tmp_path):
    store = tmp_path / "scores.sqlite"
    common = [f'store="{store}"', 'input.source="synthetic"', "input.batch_size=4"]
    run_config = load_run_config(None, ["archs=3", "proxies=params", 'executor="serial"', *common])
    from harness.experiment import run_experiment

    run_experiment(run_config, data_dir=None, run_id="r", progress=False)
    sampled = ScoreStore(store).records()["arch"].tolist()
    assert len(sampled) == 3

    search_config = load_search_config(
        None,
        [
            "budget=4",
            "seeds=1",
            "strategies=random",
            "estimators=proxy:params",
            "pairwise.pool_archs=3",  # = harness run's sample: reused, not recomputed
            "pairwise.pairs=3",
            "bootstrap_resamples=20",
            *[f"proxy.{c}" for c in common],
        ],
    )
    outcome = runner.run_search(search_config, data_dir=None, run_id="s", progress=False)
    with ScoreStore(store) as reader:
        records = reader.records()
    searched = outcome.runs[0].traces[0].evaluated
    assert set(records["arch"]) == set(sampled) | set(searched)
    assert len(records) == len(set(sampled) | set(searched))  # no key written twice
    assert outcome.proxy_computed_archs == len(set(searched) - set(sampled))
    assert outcome.proxy_reused_archs >= 3
    row = outcome.document.rows[0]
    params = records.set_index("arch")["score"]
    trace = outcome.runs[0].traces[0]
    assert list(trace.scores) == [params[a] for a in trace.evaluated]
    assert row.proxy == "params" and row.n == 3


def test_proxies_computed_together_fill_the_store_for_later_runs(synthetic_tables, tmp_path):
    store = tmp_path / "scores.sqlite"
    config = load_search_config(
        None,
        [
            "budget=3",
            "seeds=1",
            "strategies=random",
            "estimators=proxy:params",
            "pairwise.enabled=false",
            "proxy.together=flops",
            f'proxy.store="{store}"',
            'proxy.input.source="synthetic"',
            "proxy.input.batch_size=4",
        ],
    )
    outcome = runner.run_search(config, data_dir=None, run_id="t", progress=False)
    with ScoreStore(store) as reader:
        records = reader.records()
    searched = set(outcome.runs[0].traces[0].evaluated)
    assert set(records.groupby("proxy")["arch"].apply(frozenset)) == {frozenset(searched)}
    assert sorted(set(records["proxy"])) == ["flops", "params"]
    with pytest.raises(UnknownNameError, match="did you mean"):
        runner.run_search(
            load_search_config(None, ["estimators=proxy:params", "proxy.together=flopz"]),
            data_dir=None,
            run_id="u",
            progress=False,
        )


def test_darts_tables_are_refused_by_the_command_runner(monkeypatch):
    from harness.tables.base import BenchmarkTable, frame_from_columns

    key = (
        "normal=" + ",".join(["skip_connect~0"] * 8) + ";reduce=" + ",".join(["skip_connect~0"] * 8)
    )
    table = BenchmarkTable(
        name="nb301-like",
        space="darts",
        frame=frame_from_columns([key], {"cifar10/accuracy/valid/100": [90.0]}),
    )
    monkeypatch.setattr(runner, "load_table", lambda name, data_dir=None: table)
    config = load_search_config(None, ["target=cifar10/valid/100"])
    with pytest.raises(ConfigError, match="ground truth"):
        runner.run_search(config, data_dir=None, run_id="d", progress=False)


def test_a_table_missing_part_of_the_space_is_refused(monkeypatch, synthetic_table):
    partial = synthetic_table.subset(synthetic_table.archs[:100])
    monkeypatch.setattr(runner, "load_table", lambda name, data_dir=None: partial)
    with pytest.raises(ConfigError, match="lacks"):
        runner.run_search(load_search_config(), data_dir=None, run_id="p", progress=False)


def test_supernet_without_a_distill_loader_is_a_config_error(monkeypatch, synthetic_tables):
    import sys

    import harness

    # no harness.distill at all: neither in sys.modules nor as the package's attribute
    monkeypatch.setitem(sys.modules, "harness.distill", None)
    monkeypatch.delattr(harness, "distill", raising=False)
    config = load_search_config(None, ["estimators=supernet:x.pt", "budget=5", "seeds=1"])
    with pytest.raises(ConfigError, match="load_supernet_scorer"):
        runner.run_search(config, data_dir=None, run_id="n", progress=False)
