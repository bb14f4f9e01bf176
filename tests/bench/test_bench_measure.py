"""harness.bench: the engine and naive paths agree, scores equal a run's, rows are right."""

from __future__ import annotations

import math

import pytest

from harness.bench import BenchOptions, BenchRun, run_bench, summarise_bench
from harness.bench.measure import ArchBench, Repeat
from harness.errors import ConfigError
from harness.scoring import score_architecture

PROXIES = ("params", "synflow", "grad_norm", "snip", "fisher", "plain", "jacov", "nwot", "grasp")


@pytest.fixture(scope="module")
def small_run() -> BenchRun:
    options = BenchOptions(
        archs=2,
        batch_size=8,
        proxies=PROXIES,
        shared_set=("grad_norm", "snip", "jacov"),
        repeats=1,
        warmup=0,
        input_source="synthetic",
        memory_archs=0,
        seed=3,
    )
    return run_bench(options)


def test_naive_and_engine_agree_on_scores_bit_for_bit(small_run):
    assert len(small_run.archs) == 2
    for arch in small_run.archs:
        assert set(arch.naive_scores) == set(PROXIES)
        for name in PROXIES:
            engine, naive = arch.engine_scores[name], arch.naive_scores[name]
            assert engine[1] == naive[1] == "ok", (arch.arch, name, engine, naive)
            assert engine[0] == naive[0], (arch.arch, name)
    rows = {row.measure: row for row in summarise_bench(small_run)}
    assert all(rows[name].agree == "yes" for name in PROXIES)


def test_bench_scores_equal_what_a_run_stores(small_run, synthetic_plan):
    plan = synthetic_plan(PROXIES, seed=3, run_seed=3, num_classes=10)
    assert small_run.input_hash == plan.input_hash
    for arch in small_run.archs:
        stored = {r.key.proxy: r.score for r in score_architecture(plan, arch.arch)}
        assert stored == {name: arch.engine_scores[name][0] for name in PROXIES}


def test_timings_are_recorded_for_every_measure(small_run):
    for arch in small_run.archs:
        (repeat,) = arch.repeats
        assert repeat.floor > 0 and repeat.suite > 0 and repeat.shared > 0
        assert set(repeat.engine) == set(PROXIES) == set(repeat.naive)
        # the engine charges shared passes to their users: the charges add up to the suite
        assert math.isclose(sum(repeat.engine.values()), repeat.suite, rel_tol=0.2)


def _fake_run(values: list[list[dict]]) -> BenchRun:
    archs = []
    for index, repeats in enumerate(values):
        bench = ArchBench(f"arch{index}")
        bench.repeats = [
            Repeat(
                floor=r["floor"],
                suite=r["a"] + r["b"],
                shared=r["a"],
                engine={"a": r["a"], "b": r["b"]},
                naive={"a": r["na"], "b": r["nb"]},
            )
            for r in repeats
        ]
        bench.engine_scores = {"a": (1.0, "ok"), "b": (2.0, "ok")}
        bench.naive_scores = {"a": (1.0, "ok"), "b": (2.0 * (1 + 1e-6), "ok")}
        archs.append(bench)
    return BenchRun(
        options=BenchOptions(),
        proxies=["a", "b"],
        set_level=["c"],
        shared_set=["a"],
        input_source="synthetic",
        input_hash="x",
        archs=archs,
        notes=[],
    )


def test_rows_are_medians_over_repeats_then_archs_and_paired_ratios():
    def r(floor, a, b, na, nb):
        return {"floor": floor, "a": a, "b": b, "na": na, "nb": nb}

    run = _fake_run(
        [
            [r(1, 1, 1, 2, 4), r(3, 1, 1, 2, 4), r(2, 1, 1, 2, 4)],  # floor median 2
            [r(4, 2, 6, 8, 8)],
            [r(10, 3, 3, 3, 3)],
        ]
    )
    rows = {row.measure: row for row in summarise_bench(run)}
    floor = rows["floor (forward+backward)"]
    assert floor.engine_ms == pytest.approx(4000)  # median of 2, 4, 10 s
    assert floor.over_floor == pytest.approx(1.0)
    a = rows["a"]
    assert a.engine_ms == pytest.approx(2000) and a.naive_ms == pytest.approx(3000)
    assert a.engine_over_naive == pytest.approx(0.5)  # median of 1/2, 2/8, 3/3
    assert a.over_floor == pytest.approx(0.5)  # median of 1/2, 2/4, 3/10
    assert a.agree == "yes" and rows["b"].agree == "1.0e-06"
    suite = rows["suite (2 per-arch proxies + c)"]
    assert suite.engine_ms == pytest.approx(6000)  # median of 2, 8, 6
    assert suite.naive_ms == pytest.approx(6000)  # median of 2+4, 8+8, 3+3
    assert suite.engine_over_naive == pytest.approx(0.5)  # median of 2/6, 8/16, 6/6
    shared = rows["shared-pass set (1 proxies)"]
    assert shared.engine_ms == pytest.approx(2000) and shared.naive_ms == pytest.approx(3000)


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError, match="archs"):
        run_bench(BenchOptions(archs=0))
    with pytest.raises(ConfigError, match="space"):
        run_bench(BenchOptions(space="nb999"))
