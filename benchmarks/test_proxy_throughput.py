"""pytest-benchmark suite: the floor, the engine and the naive way on one NB201 network.

    tox -e benchmarks                              # or:
    pytest benchmarks --benchmark-only -o addopts=""
    HARNESS_BENCH_BATCH=16 HARNESS_BENCH_SPACE=darts pytest benchmarks --benchmark-only ...

One architecture of the seeded sample `harness bench` uses, the batch `harness bench`
uses (Fashion-MNIST, synthetic if absent), one torch thread. `harness bench` is the tool
for the full comparison over many architectures; this suite tracks regressions of the
same measurements with pytest-benchmark's statistics and storage (--benchmark-save,
--benchmark-compare).
"""

from __future__ import annotations

import os

import pytest
import torch

from harness.bench import SHARED_PASS_SET
from harness.bench.workload import Workload, load_inputs, make_workload
from harness.proxies import STANDARD_PROXIES, expand_proxies
from harness.spaces import get_space

SPACE = os.environ.get("HARNESS_BENCH_SPACE", "nb201")
BATCH = int(os.environ.get("HARNESS_BENCH_BATCH", "64"))
ROUNDS = int(os.environ.get("HARNESS_BENCH_ROUNDS", "3"))
PER_ARCH_STANDARD = expand_proxies(["standard"])[0]


@pytest.fixture(scope="module")
def workload() -> Workload:
    torch.set_num_threads(1)
    batch, second, _ = load_inputs("fashion-mnist", batch_size=BATCH, seed=0, num_classes=10)
    (arch,) = get_space(SPACE).sample_keys(1, 0)
    return make_workload(
        SPACE,
        arch,
        batch,
        second=second,
        run_seed=0,
        network_variant="as_trained",
        num_classes=10,
        device="cpu",
    )


def _run(benchmark, call, *, setup=None):
    if setup is None:
        return benchmark.pedantic(call, rounds=ROUNDS, warmup_rounds=1)
    return benchmark.pedantic(call, setup=setup, rounds=ROUNDS, warmup_rounds=1)


def test_floor_forward_backward(benchmark, workload):
    def fresh_copy():
        return (workload.floor_call(),), {}

    _run(benchmark, lambda step: step(), setup=fresh_copy)


def test_engine_shared_pass_set(benchmark, workload):
    _run(benchmark, lambda: workload.engine(SHARED_PASS_SET))


def test_naive_shared_pass_set(benchmark, workload):
    _run(benchmark, lambda: [workload.naive(name) for name in SHARED_PASS_SET])


def test_engine_standard_suite(benchmark, workload):
    _run(benchmark, lambda: workload.engine(PER_ARCH_STANDARD))


@pytest.mark.parametrize("name", PER_ARCH_STANDARD)
def test_naive_proxy(benchmark, workload, name):
    benchmark.extra_info["standard"] = name in STANDARD_PROXIES
    _run(benchmark, lambda: workload.naive(name))
