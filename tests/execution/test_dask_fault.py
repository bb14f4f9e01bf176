"""A Dask worker killed mid-run loses and duplicates nothing (loopback cluster, subprocess)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from harness.execution import get_executor
from harness.store import ScoreStore

# CI sets HARNESS_REQUIRE_DASK (and installs the `dist` extra): there this runs, never skips.
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None and not os.environ.get("HARNESS_REQUIRE_DASK"),
    reason="Dask distributed is not installed (pip install '.[dist]')",
)

DRIVER = Path(__file__).with_name("dask_fault_driver.py")


# about 15-25 s on a 2-core machine: two worker processes start, one is killed; in the
# default run (and so in CI): it is the only test of the path a dead worker takes
@pytest.mark.timeout(300)
def test_killed_worker_loses_and_duplicates_no_record(tmp_path):
    sys.path.insert(0, str(DRIVER.parent))
    try:
        import dask_fault_driver as driver
    finally:
        sys.path.remove(str(DRIVER.parent))
    store_path, result_path = tmp_path / "scores.sqlite", tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, str(DRIVER), str(store_path), str(result_path)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(result_path.read_text())
    archs = result["archs"]
    assert len(result["killed"]) == 1
    assert result["killed"][0] not in result["final_pids"], "the worker was not killed"
    assert result["calls"] == {arch: 1 for arch in archs}, "on_done lost or repeated an arch"

    plan = driver.make_plan()
    with ScoreStore(store_path, create=False) as store:
        stored = list(store.iter_records())
    assert len(stored) == len(archs) * len(driver.PROXIES)
    got = {(r.key.arch, r.key.proxy): (r.score, r.status) for r in stored}
    assert len(got) == len(stored)

    expected = {}

    def on_done(arch, records):
        for r in records:
            expected[(arch, r.key.proxy)] = (r.score, r.status)

    threads = torch.get_num_threads()
    try:
        get_executor("serial", threads=1).run(
            plan, [(a, list(driver.PROXIES)) for a in archs], on_done
        )
    finally:
        torch.set_num_threads(threads)
    assert got == expected  # bit for bit, killed worker or not
