"""An interrupted process pool stops its workers at once instead of finishing their tasks."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from harness.execution.processes import _stop_now


def _touch_then_sleep(path: str) -> None:
    Path(path).touch()
    time.sleep(120)


def _finished(pid: int) -> bool:
    """Gone or a zombie, read from /proc (the pool's manager thread may reap it before us,
    so `Process.is_alive` can race with it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@pytest.mark.timeout(180)
def test_stop_now_terminates_busy_workers(tmp_path):
    pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
    flags = [tmp_path / f"task{i}" for i in range(4)]
    for flag in flags:
        pool.submit(_touch_then_sleep, str(flag))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and sum(f.exists() for f in flags) < 2:
        time.sleep(0.1)
    assert sum(f.exists() for f in flags) == 2, "the workers never started their tasks"
    pids = list(pool._processes)
    assert len(pids) == 2 and not any(_finished(pid) for pid in pids)

    started = time.monotonic()
    _stop_now(pool)
    while time.monotonic() - started < 30 and not all(_finished(pid) for pid in pids):
        time.sleep(0.1)
    assert all(_finished(pid) for pid in pids)  # not after the 120 s their tasks would take
    time.sleep(0.5)
    assert sum(f.exists() for f in flags) == 2  # the queued tasks never ran
