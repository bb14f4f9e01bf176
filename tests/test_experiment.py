"""`harness run` end to end on a few architectures: scoring, store reuse, failures as data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.cli import main
from harness.config import load_run_config
from harness.execution.threads import torch_threads
from harness.experiment import run_experiment
from harness.proxies import expand_proxies, get_proxy
from harness.scoring import arch_seed, score_architecture
from harness.store import ScoreStore

CHEAP = "params,flops,l2_norm,synflow,grad_norm,snip"


def _config(tmp_path, *extra):
    return load_run_config(
        None,
        [
            "archs=4",
            f'proxies="{CHEAP}"',
            f'store="{tmp_path / "scores.sqlite"}"',
            'input.source="synthetic"',
            "input.batch_size=8",
            "bootstrap_resamples=50",
            'executor="serial"',
            *extra,
        ],
    )


def test_run_scores_stores_and_resumes(real_data_dir, tmp_path):
    config = _config(tmp_path)
    first = run_experiment(config, data_dir=str(real_data_dir), run_id="a", progress=False)
    assert (first.computed_archs, first.reused_archs) == (4, 0)
    rows = {r.proxy: r for r in first.document.rows}
    assert set(rows) == set(CHEAP.split(","))
    assert all(r.n + r.n_failed == 4 for r in rows.values())
    assert all(r.seconds_per_arch is not None and r.seconds_per_arch >= 0 for r in rows.values())
    with ScoreStore(config.store) as store:
        assert store.count() == 4 * 6

    again = run_experiment(config, data_dir=str(real_data_dir), run_id="b", progress=False)
    assert (again.computed_archs, again.reused_archs) == (0, 4)
    assert again.document.per_arch[0].scores == first.document.per_arch[0].scores
    with ScoreStore(config.store) as store:
        assert store.count() == 4 * 6  # nothing written twice


def test_scores_do_not_depend_on_order_or_subset(real_data_dir, tmp_path, synthetic_plan):
    config = _config(tmp_path)
    doc = run_experiment(config, data_dir=str(real_data_dir), run_id="a", progress=False).document
    per_arch = doc.per_arch[0]
    plan = synthetic_plan(("synflow", "grad_norm"))
    arch = per_arch.archs[2]  # scored alone, out of order, with the run's thread count
    with torch_threads(config.threads):
        records = {r.key.proxy: r for r in score_architecture(plan, arch)}
    for proxy in ("synflow", "grad_norm"):
        assert records[proxy].score == per_arch.scores[proxy][2]


def test_arch_without_path_is_recorded_not_fatal(synthetic_plan):
    plan = synthetic_plan(("params", "synflow", "grad_norm", "jacov", "nwot"), batch_size=4)
    dead = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    records = {r.key.proxy: r for r in score_architecture(plan, dead)}
    assert records["params"].status == "ok"
    for record in records.values():
        assert record.status in ("ok", "nan", "error")
        if record.status != "ok":
            assert record.score is None and record.error


def test_zico_reads_a_second_disjoint_batch_keyed_by_both_hashes(real_data_dir, tmp_path):
    config = _config(tmp_path, 'proxies="zico,snip"', "archs=2")
    doc = run_experiment(config, data_dir=str(real_data_dir), run_id="z", progress=False).document
    resolved = doc.config["resolved"]
    second = resolved["second_batch"]
    assert second["batch_size"] == 8 and second["input_hash"] != resolved["input_hash"]
    assert {r.proxy: r.n for r in doc.rows} == {"zico": 2, "snip": 2}
    with ScoreStore(config.store) as store:
        hashes = {record.key.proxy: record.key.input_hash for record in store.iter_records()}
    assert hashes["snip"] == resolved["input_hash"]
    assert hashes["zico"] == f"{resolved['input_hash']}+{second['input_hash']}"
    only_snip = run_experiment(
        _config(tmp_path, 'proxies="snip"', "archs=2"), data_dir=str(real_data_dir), run_id="s",
        progress=False,
    )  # fmt: skip
    assert only_snip.document.config["resolved"]["second_batch"] is None
    assert only_snip.reused_archs == 2


def test_arch_seed_depends_on_key_and_run_seed_only():
    a = (
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
        "+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    )
    assert arch_seed(0, a) == arch_seed(0, a)
    assert arch_seed(0, a) != arch_seed(1, a)


def test_expand_proxies_brings_set_level_components():
    per_arch, set_level = expand_proxies(["tenas", "params"])
    assert set_level == ["tenas"]
    assert per_arch[:2] == list(get_proxy("tenas").combines)
    assert "params" in per_arch
    every, _ = expand_proxies(["*"])
    assert "tenas" not in every and "synflow" in every


def test_unknown_proxy_is_one_line(real_data_dir, tmp_path, capsys):
    code = main(
        ["run", "--data-dir", str(real_data_dir), "--out", str(tmp_path / "o")]
        + ["--proxies", "synflw", "--set", f'store="{tmp_path / "s.sqlite"}"']
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "did you mean synflow" in err and len(err.splitlines()) == 1


def test_run_command_writes_documents(real_data_dir, tmp_path, capsys):
    out = tmp_path / "o"
    code = main(
        ["run", "--data-dir", str(real_data_dir), "--out", str(out), "--archs", "3"]
        + ["--proxies", "params,flops", "--no-progress", "--executor", "serial"]
        + ["--set", f'store="{tmp_path / "s.sqlite"}"', "--set", 'input.source="synthetic"']
        + ["--set", "bootstrap_resamples=20"]
    )
    assert code == 0
    doc = json.loads((out / "results.json").read_text())
    assert doc["kind"] == "run"
    assert doc["config"]["resolved"]["target"] == "cifar10/accuracy/test/200"
    assert doc["config"]["resolved"]["input_source"] == "synthetic"
    assert {r["proxy"] for r in doc["rows"]} == {"params", "flops"}
    truth = np.asarray(doc["per_arch"][0]["truth"], float)
    assert np.all(np.isfinite(truth))
    assert (out / "leaderboard.csv").read_text().startswith("space,dataset,target,proxy")
    assert "3 architectures scored" in capsys.readouterr().out


@pytest.mark.parametrize("source", ["fashion-mnist"])
def test_missing_images_fall_back_to_synthetic_with_a_warning(real_data_dir, tmp_path, source):
    config = _config(
        tmp_path, f'input.source="{source}"', f'input.path="{tmp_path / "nothing"}"', "archs=2"
    )
    with pytest.warns(UserWarning, match="synthetic"):
        outcome = run_experiment(config, data_dir=str(real_data_dir), run_id="w", progress=False)
    assert outcome.document.config["resolved"]["input_source"] == "synthetic"
    assert any("fallback" in n for n in outcome.document.notes)


def test_results_record_the_device_and_threads_of_every_score_used(real_data_dir, tmp_path):
    config = _config(tmp_path, 'proxies="params,synflow"', "archs=3")
    first = run_experiment(config, data_dir=str(real_data_dir), run_id="a", progress=False)
    for row in first.document.rows:
        assert row.extra["devices"] == {"cpu": 3} and row.extra["threads"] == {"1": 3}
    assert not any("reused from the store" in n for n in first.document.notes)
    with ScoreStore(config.store) as store:
        assert {(r.device, r.threads) for r in store.iter_records()} == {("cpu", 1)}

    # the same keys asked for with two threads: reused (threads are not part of the key),
    # and the results say which setting computed them
    two = load_run_config(None, [*_config_overrides(tmp_path), "threads=2"])
    again = run_experiment(two, data_dir=str(real_data_dir), run_id="b", progress=False)
    assert (again.computed_archs, again.reused_archs) == (0, 3)
    assert all(row.extra["threads"] == {"1": 3} for row in again.document.rows)
    notes = [n for n in again.document.notes if "reused from the store" in n]
    assert len(notes) == 2 and all("3 with 1 thread(s)" in n for n in notes)


def _config_overrides(tmp_path) -> list[str]:
    return [
        "archs=3",
        'proxies="params,synflow"',
        f'store="{tmp_path / "scores.sqlite"}"',
        'input.source="synthetic"',
        "input.batch_size=8",
        "bootstrap_resamples=50",
        'executor="serial"',
    ]


def test_a_run_names_its_table_alone_and_ranks_against_that_tables_target(real_data_dir, tmp_path):
    config = _config(tmp_path, 'proxies="params"', "archs=3", "table=suite-zero-nb101")
    outcome = run_experiment(config, data_dir=str(real_data_dir), run_id="a", progress=False)
    assert outcome.document.config["resolved"]["target"] == "cifar10/accuracy/valid/108"
    assert {r.space for r in outcome.document.rows} == {"nb101"}


def test_a_degenerate_epe_nas_batch_is_said_in_the_row_notes_and_on_stderr(
    real_data_dir, tmp_path, capsys
):
    # 8 samples over 100 synthetic classes, class balanced: every class has one sample
    config = _config(tmp_path, 'proxies="epe_nas,params"', "archs=3", 'target="cifar100/test/200"')
    doc = run_experiment(config, data_dir=str(real_data_dir), run_id="e", progress=False).document
    row = next(r for r in doc.rows if r.proxy == "epe_nas")
    assert row.extra["statuses"]["error"] == 3
    assert row.extra["batch_note"].startswith("degenerate batch: none of its 8 classes")
    assert any(n.startswith("epe_nas: degenerate batch") for n in doc.notes)
    assert "WARNING: epe_nas: degenerate batch" in capsys.readouterr().err
