"""A writer process for the score store's kill and concurrency tests (not a test itself).

    python tests/_store_writer.py STORE START STOP DEVICE [GO_FILE]

writes the records for key indices START..STOP-1 one small transaction at a time
(counting down from START to STOP+1 when STOP < START),
printing ``committed <index> <new>`` after each commit and ``done <total new>``
at the end. With GO_FILE it prints ``ready`` and waits for that file to exist
before opening the store, so several writers can be started at the same moment,
and pauses 1 ms after each record so that they interleave.
Every value is a function of the index (see `expected_record`), so
the test can check each stored record without talking to this process.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.store import ScoreKey, ScoreRecord, ScoreStore  # noqa: E402


def key_for(index: int) -> ScoreKey:
    return ScoreKey(
        space="nb201",
        arch=f"arch-{index:06d}",
        dataset="cifar10",
        proxy="synflow",
        proxy_version="1",
        seed=index % 3,
        input_hash="abc123",
        batch_size=64,
        network_variant="default",
    )


def expected_record(index: int, device: str) -> ScoreRecord:
    """The record for `index`: mostly ok scores, with some NaN and some errors mixed in."""
    if index % 11 == 0:
        score, status, error = None, "error", f"RuntimeError: boom at {index}"
    elif index % 7 == 0:
        score, status, error = float("nan"), "ok", ""
    else:
        score, status, error = index * 0.25 - 3.0, "ok", ""
    return ScoreRecord(
        key=key_for(index),
        score=score,
        seconds=index / 1000,
        device=device,
        input_source="synthetic",
        status=status,
        error=error,
    )


def main(argv: list[str]) -> None:
    store_path, start, stop, device = argv[0], int(argv[1]), int(argv[2]), argv[3]
    pause = len(argv) > 4
    if pause:
        go_file = Path(argv[4])
        print("ready", flush=True)
        deadline = time.monotonic() + 60
        while not go_file.exists() and time.monotonic() < deadline:
            time.sleep(0.002)
    total = 0
    with ScoreStore(store_path) as store:
        for index in range(start, stop, 1 if stop >= start else -1):
            new = store.put(expected_record(index, device))
            total += new
            print(f"committed {index} {new}", flush=True)
            if pause:  # as scoring would make, so that concurrent writers interleave
                time.sleep(0.001)
    print(f"done {total}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
