"""`harness run` under several initial-weight seeds: the same sample, batch fixed or
varied, per-seed scores that single-seed runs reproduce, and the seed figures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.cli import main
from harness.config import load_run_config
from harness.experiment import run_experiment
from harness.store import ScoreStore

CHEAP = "params,synflow,grad_norm,snip"


def _config(tmp_path, *extra):
    return load_run_config(
        None,
        [
            "archs=6",
            f'proxies="{CHEAP}"',
            f'store="{tmp_path / "scores.sqlite"}"',
            'input.source="synthetic"',
            "input.batch_size=8",
            "bootstrap_resamples=50",
            'executor="serial"',
            *extra,
        ],
    )


def _run(config, run_id="r"):
    return run_experiment(config, data_dir=None, run_id=run_id, progress=False)


@pytest.fixture(scope="module")
def fixed_and_varied(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("seeds")
    fixed = _run(_config(tmp_path, "seeds=[0,1,2]"), "fixed")
    varied = _run(_config(tmp_path, "seeds=[0,1,2]", "vary_batch=true"), "varied")
    return tmp_path, fixed, varied


def test_seeds_score_the_same_sample_and_record_the_seeds(fixed_and_varied):
    _, fixed, varied = fixed_and_varied
    assert (fixed.computed_archs, fixed.reused_archs) == (18, 0)
    assert (varied.computed_archs, varied.reused_archs) == (12, 6)  # seed 0 shared
    for outcome in (fixed, varied):
        document = outcome.document
        assert document.seeds == [0, 1, 2] and document.seed == 0
        assert document.config["resolved"]["seeds"] == [0, 1, 2]
        per_arch = document.per_arch[0]
        assert per_arch.seeds == [0, 1, 2]
        assert per_arch.archs == fixed.document.per_arch[0].archs
        assert per_arch.seed_scores["synflow"][0] == per_arch.scores["synflow"]
    assert "seed_batches" not in fixed.document.config["resolved"]
    hashes = [b["input_hash"] for b in varied.document.config["resolved"]["seed_batches"]]
    assert hashes[0] == fixed.document.config["resolved"]["input_hash"]
    assert len(set(hashes)) == 3


def test_the_batch_is_shared_unless_varied(fixed_and_varied):
    tmp_path, fixed, varied = fixed_and_varied
    with ScoreStore(str(tmp_path / "scores.sqlite")) as store:
        keys = [r.key for r in store.iter_records() if r.key.proxy == "grad_norm"]
    first_batch = fixed.document.config["resolved"]["input_hash"]
    assert {k.input_hash for k in keys if k.seed == 0} == {first_batch}
    assert {k.seed for k in keys} == {0, 1, 2}
    for seed in (1, 2):
        assert len({k.input_hash for k in keys if k.seed == seed}) == 2  # fixed and own
    fixed_scores = fixed.document.per_arch[0].seed_scores
    varied_scores = varied.document.per_arch[0].seed_scores
    # Same weights, other batch: the data-free proxies agree, the gradient ones do not.
    assert fixed_scores["params"] == varied_scores["params"]
    assert fixed_scores["synflow"] == varied_scores["synflow"]
    assert fixed_scores["grad_norm"][1] != varied_scores["grad_norm"][1]
    assert fixed_scores["grad_norm"][0] == varied_scores["grad_norm"][0]


def test_a_single_seed_run_reproduces_each_seed(fixed_and_varied):
    tmp_path, fixed, varied = fixed_and_varied
    single = _run(_config(tmp_path, "seed=2", "sample_seed=0"), "single")
    assert single.computed_archs == 0  # the varied run stored seed 2 with its own batch
    assert single.document.per_arch[0].archs == varied.document.per_arch[0].archs
    for proxy in CHEAP.split(","):
        assert (
            varied.document.per_arch[0].seed_scores[proxy][2]
            == (single.document.per_arch[0].scores[proxy])
        )
    first = _run(_config(tmp_path), "first")
    assert first.computed_archs == 0
    first_rows = {r.proxy: r for r in first.document.rows}
    for row in fixed.document.rows:
        one = first_rows[row.proxy]
        assert row.extra["single_seed"] == 0
        assert row.extra["single_seed_kendall"] == one.kendall
        assert (row.extra["single_seed_kendall_lo"], row.extra["single_seed_kendall_hi"]) == (
            one.kendall_lo,
            one.kendall_hi,
        )
        assert "n_seeds" not in one.extra  # a single-seed row is unchanged


def test_rows_hold_the_mean_over_seeds_and_self_agreement(fixed_and_varied):
    _, fixed, _ = fixed_and_varied
    rows = {r.proxy: r for r in fixed.document.rows}
    for row in rows.values():
        assert row.extra["n_seeds"] == 3 and row.extra["seeds"] == [0, 1, 2]
        assert row.kendall == pytest.approx(np.mean(row.extra["seed_kendall"]))
        assert row.kendall_lo <= row.kendall <= row.kendall_hi
        assert row.extra["interval"].startswith("two-level bootstrap")
    assert rows["params"].extra["self_kendall"] == pytest.approx(1.0)  # no weights in it
    assert rows["grad_norm"].extra["self_kendall"] < 1.0


def test_run_command_seeds_option(real_data_dir, tmp_path, capsys):
    out = tmp_path / "o"
    code = main(
        ["run", "--data-dir", str(real_data_dir), "--out", str(out), "--archs", "4"]
        + ["--proxies", "params,grad_norm", "--no-progress", "--executor", "serial"]
        + ["--set", f'store="{tmp_path / "s.sqlite"}"', "--set", 'input.source="synthetic"']
        + ["--set", "bootstrap_resamples=20", "--set", "input.batch_size=8"]
        + ["--seed", "3", "--seeds", "2", "--vary-batch"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "2 seeds (batch varied with the seed)" in printed and "self τ" in printed
    assert "8 (architecture, seed) pairs scored" in printed
    document = json.loads((out / "results.json").read_text())
    assert document["seeds"] == [3, 4] and document["config"]["vary_batch"] is True
    assert "Seeds:" in (out / "leaderboard.md").read_text()
    assert "self_kendall" in (out / "leaderboard.csv").read_text().splitlines()[0]


def test_bad_seeds_option_is_one_line(tmp_path, capsys):
    code = main(["run", "--seeds", "0", "--set", f'store="{tmp_path / "s.sqlite"}"'])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "--seeds" in err and len(err.splitlines()) == 1


def test_report_table_shows_the_seed_columns(fixed_and_varied):
    from harness.report import label_documents
    from harness.report.builder import results_table
    from harness.report.documents import groups_of

    _, fixed, _ = fixed_and_varied
    (source,) = label_documents([fixed.document])
    table = results_table(groups_of(source)[0])
    assert "self τ [min]" in table.header and "τ one seed [CI]" in table.header
    assert "mean over 3 seeds" in table.title
    assert all(len(row) == len(table.header) for row in table.rows)
