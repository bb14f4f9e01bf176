"""Ctrl-C stops `harness run` cleanly; the next run resumes and recomputes nothing stored."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from harness.store import ScoreStore


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("signum", "executor"),
    [
        # Ctrl-C on the serial executor: the same resume path as below, slow to keep CI short
        pytest.param(signal.SIGINT, "serial", marks=pytest.mark.slow),
        (signal.SIGTERM, "processes"),
    ],
)
def test_interrupted_run_resumes(real_data_dir, tmp_path, signum, executor):
    store = tmp_path / "scores.sqlite"
    args = [
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        "--data-dir",
        str(real_data_dir),
        "--out",
        str(tmp_path / "out"),
        "--archs",
        "30",
        "--proxies",
        "params,synflow,grad_norm,snip,jacov",
        "--executor",
        executor,
        "--no-progress",
        "--set",
        f'store="{store}"',
        "--set",
        'input.source="synthetic"',
        "--set",
        "input.batch_size=8",
    ]
    # start_new_session: the signal goes to the driver alone, as `kill PID` would
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and stored < 10:
        time.sleep(0.5)
        if store.exists():
            try:
                with ScoreStore(store, create=False) as s:
                    stored = s.count()
            except Exception:
                stored = 0
    assert stored >= 10, "the run stored nothing in time"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "results.json").exists()
    with ScoreStore(store, create=False) as s:
        kept = s.count()
    assert kept >= stored and kept % 5 == 0  # whole architectures only

    done = subprocess.run(args, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert f"{kept // 5} reused from the store" in done.stdout
    with ScoreStore(store, create=False) as s:
        assert s.count() == 30 * 5
    assert (tmp_path / "out" / "results.json").exists()
