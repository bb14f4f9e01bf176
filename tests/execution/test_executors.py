"""Executors give identical records (bit for bit) on a small run."""

from __future__ import annotations

import importlib.util
import logging
import os

import pytest

from harness.errors import ConfigError, UnknownNameError
from harness.execution import get_executor
from harness.scoring import ScoringPlan

ARCHS = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    "|nor_conv_1x1~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|",
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
]


@pytest.fixture(scope="module")
def plan(synthetic_plan) -> ScoringPlan:
    return synthetic_plan(("params", "synflow", "grad_norm", "snip", "jacov", "nwot", "zen"))


def _collect(executor, plan):
    out = {}

    def on_done(arch, records):
        assert arch not in out
        out[arch] = {r.key.proxy: (r.score, r.status) for r in records}

    executor.run(plan, [(a, list(plan.proxies)) for a in ARCHS], on_done)
    return out


@pytest.fixture(scope="module")
def serial(plan):
    """The serial executor's records: what every other executor must give, bit for bit."""
    return _collect(get_executor("serial", threads=1), plan)


def test_serial_and_processes_agree_bit_for_bit(plan, serial):
    pooled = _collect(get_executor("processes", workers=2, threads=1), plan)
    assert serial == pooled
    assert set(serial) == set(ARCHS)


# CI installs the `dist` extra (scripts/install.sh --dev) and sets HARNESS_REQUIRE_DASK: there
# these tests run, and fail on the missing import rather than skip.
requires_dask = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None and not os.environ.get("HARNESS_REQUIRE_DASK"),
    reason="Dask distributed is not installed (pip install '.[dist]')",
)


@pytest.fixture(scope="module")
def in_process_cluster():
    """A one-worker, one-thread Dask cluster inside this process (no worker start-up cost).
    One worker thread only: scoring seeds torch's global generator."""
    import distributed

    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


@requires_dask
@pytest.mark.timeout(180)
def test_dask_local_cluster_agrees_bit_for_bit_with_serial(plan, serial):
    # the executor's own local cluster of worker processes (the path `--executor dask` takes)
    dask = _collect(get_executor("dask", workers=1, threads=1), plan)
    assert dask == serial


@requires_dask
@pytest.mark.timeout(120)
def test_dask_given_scheduler_agrees_bit_for_bit_with_serial(plan, serial, in_process_cluster):
    dask = _collect(get_executor("dask", threads=1, address=in_process_cluster), plan)
    assert dask == serial


def test_dask_without_distributed_is_a_one_line_config_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if absent
    with pytest.raises(ConfigError, match=r"pip install 'proxy-ranking-harness\[dist\]'") as caught:
        get_executor("dask", workers=1)
    assert "\n" not in str(caught.value)


def test_unknown_or_bad_executor_settings():
    with pytest.raises(UnknownNameError, match="did you mean serial"):
        get_executor("serail")
    with pytest.raises(ConfigError):
        get_executor("processes", threads=0)


def test_dask_chunks_are_deterministic_and_cover_the_work_once(plan):
    from harness.execution.dask import CHUNK_SIZE, chunk_work, task_key

    work = [(f"arch{i}", ["params"]) for i in range(1000)]
    chunks = chunk_work(work, workers=2)
    assert [item for chunk in chunks for item in chunk] == [(a, list(p)) for a, p in work]
    assert max(len(c) for c in chunks) == CHUNK_SIZE
    small = chunk_work(work[:20], workers=2)
    assert len(small) >= 2 * 2  # every worker gets several tasks on a small run
    keys = [task_key(plan, chunk) for chunk in chunks]
    assert len(set(keys)) == len(keys)
    assert keys == [task_key(plan, chunk) for chunk in chunk_work(work, workers=2)]
    other_seed = type(plan)(**{**plan.__dict__, "run_seed": 1})
    assert task_key(other_seed, chunks[0]) != keys[0]


def test_run_with_dask_absent_exits_2_with_one_line(real_data_dir, tmp_path, monkeypatch, capsys):
    import sys

    from harness.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)
    code = main(
        [
            "run",
            "--data-dir",
            str(real_data_dir),
            "--out",
            str(tmp_path / "out"),
            "--archs",
            "2",
            "--proxies",
            "params",
            "--executor",
            "dask",
            "--no-progress",
            "--set",
            f'store="{tmp_path / "s.sqlite"}"',
            "--set",
            'input.source="synthetic"',
            "--set",
            "input.batch_size=4",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "proxy-ranking-harness[dist]" in err[0], err


@requires_dask
def test_local_cluster_workers_start_without_dasks_malloc_setting(monkeypatch):
    import dask
    import distributed

    from harness.execution.dask import _local_cluster

    seen = {}

    def fake_cluster(**kwargs):
        seen.update(kwargs)
        seen["environ"] = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
        return "cluster"

    monkeypatch.setattr(distributed, "LocalCluster", fake_cluster)
    assert _local_cluster(distributed, 3) == "cluster"
    assert "MALLOC_TRIM_THRESHOLD_" not in seen["environ"]
    assert seen["environ"].get("OMP_NUM_THREADS") is not None  # the rest is kept
    assert seen["n_workers"] == 3 and seen["threads_per_worker"] == 1
    assert seen["host"] == "127.0.0.1" and seen["processes"] is True
    # the setting is only dropped while the cluster starts
    assert "MALLOC_TRIM_THRESHOLD_" in dask.config.get("distributed.nanny.pre-spawn-environ")


class _DeafAsCompleted:
    """Stands in for distributed.as_completed when it misses finished tasks (dask#8882)."""

    def __init__(self, futures, **_options):
        self.futures = list(futures)

    def next_batch(self, block=True):
        return []


@requires_dask
@pytest.mark.timeout(120)
def test_dask_recovers_results_that_as_completed_never_reports(
    plan, serial, in_process_cluster, monkeypatch
):
    # as_completed stays silent: the driver must notice the stall, find the finished
    # chunks in the workers' memory through the scheduler, and deliver each arch once
    import distributed

    from harness.execution import dask as dask_executor

    monkeypatch.setattr(distributed, "as_completed", _DeafAsCompleted)
    monkeypatch.setattr(dask_executor, "STALL_SECONDS", 1.0)
    recovered = _collect(get_executor("dask", threads=1, address=in_process_cluster), plan)
    assert recovered == serial


@requires_dask
@pytest.mark.timeout(120)
def test_dask_stall_check_that_fails_once_is_retried(plan, serial, in_process_cluster, monkeypatch):
    import distributed

    from harness.execution import dask as dask_executor

    real_recover, calls = dask_executor._recover_stalled, []

    def flaky_recover(client, keys):
        calls.append(len(keys))
        if len(calls) == 1:
            raise AssertionError("comm broken")  # what tornado raised once after a kill
        return real_recover(client, keys)

    monkeypatch.setattr(distributed, "as_completed", _DeafAsCompleted)
    monkeypatch.setattr(dask_executor, "STALL_SECONDS", 0.5)
    monkeypatch.setattr(dask_executor, "_recover_stalled", flaky_recover)
    executor = get_executor("dask", threads=1, address=in_process_cluster)
    assert _collect(executor, plan) == serial
    assert len(calls) >= 2
