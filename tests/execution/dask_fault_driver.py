"""Run the Dask executor on a 2-worker local cluster and SIGKILL one worker mid-run.

Used by test_dask_fault.py in a subprocess (so a hung cluster cannot hang pytest):

    python tests/execution/dask_fault_driver.py STORE.sqlite RESULT.json

After the first architecture is delivered, it kills a worker that is busy with a task.
It writes every delivered record to the store and a JSON summary: the architectures
asked for, how often on_done was called per architecture, the killed pid and the pids
of the workers at the end.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time

SHAPE = dict(batch_size=8, seed=0, class_balanced=True)
PROXIES = ("params", "synflow", "grad_norm", "snip", "jacov")
ARCHS = 8


def make_plan():
    from harness.inputs import Batches, load_batch
    from harness.scoring import ScoringPlan

    batch = load_batch("synthetic", **SHAPE)
    return ScoringPlan.for_batch(
        Batches(batch, None, []),
        space="nb201",
        dataset="cifar10",
        network_variant="as_trained",
        device="cpu",
        run_seed=0,
        proxies=PROXIES,
    )


def sample_archs() -> list[str]:
    from harness.spaces import get_space

    return get_space("nb201").sample_keys(ARCHS, 3)


def _busy_worker_pid(client) -> int:
    """The pid of a worker that is processing a task now (any worker if none is)."""
    pids = client.run(os.getpid)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        busy = [addr for addr, tasks in client.processing().items() if tasks and addr in pids]
        if busy:
            return pids[busy[0]]
        time.sleep(0.05)
    return next(iter(pids.values()))


def main(store_path: str, result_path: str) -> None:
    from distributed import Client, LocalCluster

    from harness.execution.dask import DaskExecutor
    from harness.store import ScoreStore

    plan = make_plan()
    archs = sample_archs()
    calls: dict[str, int] = {}
    killed: list[int] = []
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as observer,
        ScoreStore(store_path) as store,
    ):

        def on_done(arch, records):
            calls[arch] = calls.get(arch, 0) + 1
            store.put_many(records)
            if not killed:
                pid = _busy_worker_pid(observer)
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        # Chunks of one architecture: a killed worker always has work in flight.
        executor = DaskExecutor(
            workers=2, threads=1, address=cluster.scheduler_address, chunk_size=1
        )
        executor.run(plan, [(a, list(PROXIES)) for a in archs], on_done)
        final_pids = sorted(observer.run(os.getpid).values())
    with open(result_path, "w") as handle:
        json.dump(
            {"archs": archs, "calls": calls, "killed": killed, "final_pids": final_pids}, handle
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
