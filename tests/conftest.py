"""Shared fixtures: where the real benchmark files are (skipped with a reason when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _shared_data_dir() -> Path | None:
    env = os.environ.get("HARNESS_DATA")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if (candidate / "nb201").is_dir() or (candidate / "suite_zero").is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The folder holding the real benchmark files (HARNESS_DATA or ../shared/data)."""
    found = _shared_data_dir()
    if found is None:
        pytest.skip(
            "real benchmark files not found: set HARNESS_DATA or put them in ../shared/data"
        )
    return found


#: Test folders and files that run torch on one thread: tiny tensors, where intra-op
#: threads only contend on a shared machine (100x slower). The one place a test asks for
#: it: name its folder or file here.
ONE_THREAD_PATHS = (
    "proxies",
    "distill",
    "bench",
    "search/test_runner.py",
    "commands/test_ablate_cli.py",
    "test_scoring.py",
    "test_one_entry.py",
    "test_experiment_targets.py",
)


@pytest.fixture
def one_thread_paths() -> tuple[str, ...]:
    """`ONE_THREAD_PATHS`, for the test that checks they exist."""
    return ONE_THREAD_PATHS


@pytest.fixture(autouse=True)
def _one_torch_thread(request: pytest.FixtureRequest):
    tests = Path(__file__).resolve().parent
    if not any(Path(request.path).is_relative_to(tests / f) for f in ONE_THREAD_PATHS):
        yield
        return
    import torch  # deferred: most test folders never need torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def synthetic_plan():
    """A factory of NB201 / CIFAR-10 `ScoringPlan`s on a synthetic batch (CPU, as trained):
    `synthetic_plan(proxies, batch_size=8, seed=0, run_seed=0, class_balanced=True)`."""
    # deferred: torch, only for the tests that score
    from harness.inputs import Batches, load_batch
    from harness.scoring import ScoringPlan

    def make(proxies, *, batch_size=8, seed=0, run_seed=0, class_balanced=True, num_classes=None):
        batch = load_batch(
            "synthetic",
            batch_size=batch_size,
            seed=seed,
            class_balanced=class_balanced,
            num_classes=num_classes,
        )
        return ScoringPlan.for_batch(
            Batches(batch, None, []),
            space="nb201",
            dataset="cifar10",
            network_variant="as_trained",
            device="cpu",
            run_seed=run_seed,
            proxies=proxies,
        )

    return make
