"""Executors give identical records (bit for bit) on a small run."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError, UnknownNameError
from harness.execution import get_executor
from harness.inputs import load_batch
from harness.scoring import ScoringPlan

ARCHS = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    "|nor_conv_1x1~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|",
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
]


@pytest.fixture(scope="module")
def plan() -> ScoringPlan:
    batch = load_batch("synthetic", batch_size=8, seed=0, class_balanced=True)
    return ScoringPlan(
        space="nb201",
        dataset="cifar10",
        num_classes=10,
        network_variant="as_trained",
        device="cpu",
        run_seed=0,
        proxies=("params", "synflow", "grad_norm", "snip", "jacov", "nwot", "zen"),
        images=batch.images,
        labels=batch.labels,
        input_source=batch.source,
        input_hash=batch.content_hash,
    )


def _collect(executor, plan):
    out = {}

    def on_done(arch, records):
        assert arch not in out
        out[arch] = {r.key.proxy: (r.score, r.status) for r in records}

    executor.run(plan, [(a, list(plan.proxies)) for a in ARCHS], on_done)
    return out


def test_serial_and_processes_agree_bit_for_bit(plan):
    serial = _collect(get_executor("serial", threads=1), plan)
    pooled = _collect(get_executor("processes", workers=2, threads=1), plan)
    assert serial == pooled
    assert set(serial) == set(ARCHS)


def test_unknown_or_bad_executor_settings():
    with pytest.raises(UnknownNameError, match="did you mean serial"):
        get_executor("serail")
    with pytest.raises(ConfigError):
        get_executor("processes", threads=0)
