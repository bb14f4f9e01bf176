"""An interrupted process pool stops its workers at once instead of finishing their tasks."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from harness.execution.processes import _stop_now


@pytest.mark.timeout(120)
def test_stop_now_terminates_busy_workers():
    pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
    futures = [pool.submit(time.sleep, 120) for _ in range(4)]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(f.running() for f in futures[:2]):
        time.sleep(0.1)
    processes = list(pool._processes.values())
    assert processes and all(p.is_alive() for p in processes)

    started = time.monotonic()
    _stop_now(pool)
    for process in processes:
        process.join(timeout=10)
    assert not any(p.is_alive() for p in processes)
    assert time.monotonic() - started < 15  # not the 120 s the running tasks would take
