"""A bench workload is the context a run gives a proxy (`harness.scoring.proxy_context`)."""

from __future__ import annotations

from harness.bench.workload import load_inputs, make_workload
from harness.scoring import arch_seed
from harness.spaces import get_space


def test_bench_measures_on_the_context_a_run_sets_up():
    arch = get_space("nb201").sample_keys(1, 0)[0]
    batch, second, _ = load_inputs("synthetic", batch_size=4, seed=0, num_classes=10)
    work = make_workload(
        "nb201", arch, batch, second=second, run_seed=3, network_variant="as_trained",
        num_classes=10, device="cpu",
    )  # fmt: skip
    assert work.base.seed == arch_seed(3, arch)
    fresh = work.context()
    assert fresh.cache == {} and fresh.cache is not work.base.cache
    assert fresh.network is work.network and work.second_batch is not None
    smaller = work.first_images(2)
    assert smaller.images.shape[0] == 2 and smaller.network is work.network
