"""The one set-up of what a proxy scores: `proxy_context` (bench: tests/bench/test_workload.py)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from harness.proxies import base, register_proxy
from harness.proxies.base import ProxyOrigin, registering_from
from harness.proxies.plugins import load_includes
from harness.scoring import arch_seed, proxy_context, worker_loadable_plugins
from harness.spaces import get_space
from harness.spaces.networks import seeded_network


def _batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(4, 3, 32, 32, generator=gen), torch.arange(4) % 10


def test_the_context_holds_the_network_a_run_builds_and_the_batches():
    arch = get_space("nb201").sample_keys(1, 0)[0]
    first, second = _batch(0), _batch(1)
    ctx = proxy_context(
        "nb201",
        arch,
        *first,
        run_seed=3,
        num_classes=10,
        variant="as_trained",
        device=torch.device("cpu"),
        second_batch=second,
    )
    assert ctx.seed == arch_seed(3, arch)
    network, _ = seeded_network("nb201", arch, seed=ctx.seed, num_classes=10)
    ours, theirs = ctx.network.state_dict(), network.state_dict()
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[name], theirs[name]) for name in ours)
    assert torch.equal(ctx.images, first[0]) and ctx.second_batch is not None
    assert torch.equal(ctx.second_batch[0], second[0])
    assert ctx.build_variant is not None and ctx.cache == {}


def test_a_worker_loads_the_plugins_of_include_files_and_entry_points(tmp_path, synthetic_plan):
    """What the serial executor scores in a child: proxies a fresh process registers by
    itself (the plan's include files, entry points), not built-ins nor proxies some other
    code of this process registered (a package module imported by a script)."""
    file = tmp_path / "loadable.py"
    file.write_text(
        "from harness.proxies import register_proxy\n"
        "register_proxy(name='wl_file', version='1', description='x')(lambda ctx: 1.0)\n"
    )
    entry = ProxyOrigin(kind="package", name="pkg", version="1", entry_point="wl = pkg.proxies")
    imported = ProxyOrigin(kind="package", name="pkg", version="1")
    names = ["params", "wl_file", "wl_entry", "wl_imported"]
    try:
        load_includes([file])
        for name, origin in (("wl_entry", entry), ("wl_imported", imported)):
            with registering_from(origin, __name__):
                register_proxy(name=name, version="1", description="x")(lambda ctx: 1.0)
        with_file = dataclasses.replace(synthetic_plan(("params",)), includes=(str(file),))
        assert worker_loadable_plugins(with_file, names) == ["wl_file", "wl_entry"]
        assert worker_loadable_plugins(synthetic_plan(("params",)), names) == ["wl_entry"]
    finally:
        for name in names[1:]:
            if name in base.PROXIES:
                base.PROXIES.unregister(name)


def test_scoring_tests_run_on_one_torch_thread_set_in_conftest():
    """The conftest's one fixture (`ONE_THREAD_PATHS`) covers this file: no test sets it."""
    assert torch.get_num_threads() == 1


def test_a_reference_rows_seed_and_geometry_set_up_the_context_conformance_scores():
    """Conformance's rows: the network seeded with the row's own seed and built with its
    geometry (C=3, N=1); the variants as the space builds them, without that geometry."""
    arch = get_space("nb201").sample_keys(1, 0)[0]
    ctx = proxy_context(
        "nb201", arch, *_batch(0), seed=42, num_classes=10, variant="as_trained",
        network_options={"C": 3, "N": 1},
    )  # fmt: skip
    assert ctx.seed == 42
    network, _ = seeded_network("nb201", arch, seed=42, num_classes=10, C=3, N=1)
    ours, theirs = ctx.network.state_dict(), network.state_dict()
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[name], theirs[name]) for name in ours)
    plain, _ = seeded_network("nb201", arch, seed=42, num_classes=10)
    variant = ctx.build_variant()
    count = sum(p.numel() for p in variant.parameters())
    assert count == sum(p.numel() for p in plain.parameters())
    assert count != sum(p.numel() for p in network.parameters())


@pytest.mark.parametrize("seeds", [{}, {"run_seed": 0, "seed": 42}])
def test_the_context_takes_a_run_seed_or_a_seed(seeds):
    arch = get_space("nb201").sample_keys(1, 0)[0]
    with pytest.raises(ValueError, match="run_seed or seed"):
        proxy_context("nb201", arch, *_batch(0), num_classes=10, variant="as_trained", **seeds)
