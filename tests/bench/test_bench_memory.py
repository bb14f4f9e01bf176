"""The peak-memory method: the child's own high-water mark, reset before the call."""

from __future__ import annotations

import sys

import pytest
import torch

from harness.bench.memory import current_rss_bytes, peak_rss_bytes, reset_peak_rss, subprocess_peak

MIB = 1024 * 1024

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")


@linux_only
def test_reset_peak_then_measure_an_allocation():
    spike = torch.ones(64 * MIB // 4)  # 64 MiB, touched
    del spike
    assert reset_peak_rss()
    before = current_rss_bytes()
    assert peak_rss_bytes() < before + 16 * MIB  # the earlier spike is forgotten
    block = torch.ones(96 * MIB // 4)
    assert peak_rss_bytes() >= before + 80 * MIB
    del block


@linux_only
@pytest.mark.timeout(120)
def test_subprocess_peak_does_not_inherit_the_parents_peak():
    spike = torch.ones(768 * MIB // 4)  # the parent's high-water mark goes above 768 MiB
    parent_peak = peak_rss_bytes() / MIB
    del spike
    spec = {
        "space": "nb201",
        "arch": "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "batch_size": 2,
        "seed": 0,
        "input_source": "synthetic",
        "network_variant": "as_trained",
        "num_classes": 10,
        "threads": 1,
        "proxies": ["params"],
        "what": "floor",
    }
    peak = subprocess_peak(spec)
    assert 0 < peak.before_mib <= peak.peak_mib < parent_peak
    assert peak.increase_mib < 64  # a forward+backward of an empty cell on 2 images
