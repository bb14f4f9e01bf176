"""Small synthetic results documents for the report, gate and merge tests.

Rows are made the way the commands make them (harness.stats.summarise on the
per-architecture values), so every figure a report reads is consistent with the
values it could be checked against.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from harness.results import PerArchValues, ResultRow, ResultsDocument
from harness.stats import summarise


def load_helper():
    """This module, for tests outside tests/report (imported by path: tests is no package)."""
    spec = importlib.util.spec_from_file_location("report_documents", Path(__file__))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_row(
    proxy: str,
    score: np.ndarray,
    truth: np.ndarray,
    *,
    higher_is_better: bool = True,
    seconds: float | None = 0.1,
    space: str = "nb201",
    dataset: str = "cifar10",
    target: str = "cifar10/accuracy/test/200",
    extra: Mapping | None = None,
    resamples: int = 200,
) -> ResultRow:
    s = summarise(score, truth, higher_is_better=higher_is_better, n_resamples=resamples, seed=0)
    figures = s.to_dict()
    own = {
        k: figures.pop(k)
        for k in (
            "n", "n_failed", "kendall", "kendall_lo", "kendall_hi", "spearman", "spearman_lo",
            "spearman_hi", "pearson", "pearson_lo", "pearson_hi",
        )
    }  # fmt: skip
    return ResultRow(
        space=space,
        dataset=dataset,
        target=target,
        proxy=proxy,
        higher_is_better=higher_is_better,
        seconds_per_arch=seconds,
        origin="computed",
        extra={**figures, **(extra or {})},
        **own,
    )


def make_document(
    scores: Mapping[str, Sequence[float]],
    truth: Sequence[float],
    *,
    archs: Sequence[str] | None = None,
    kind: str = "run",
    seconds: Mapping[str, float] | None = None,
    lower_is_better: Sequence[str] = (),
    run_id: str = "run-test",
    seed: int = 0,
    space: str = "nb201",
    dataset: str = "cifar10",
    target: str = "cifar10/accuracy/test/200",
    with_per_arch: bool = True,
    resamples: int = 200,
) -> ResultsDocument:
    truth = np.asarray(truth, dtype=float)
    archs = list(archs) if archs is not None else [f"arch{i:04d}" for i in range(truth.size)]
    seconds = seconds or {}
    rows = [
        make_row(
            proxy,
            np.asarray(values, dtype=float),
            truth,
            higher_is_better=proxy not in lower_is_better,
            seconds=seconds.get(proxy, 0.01 * (i + 1)),
            space=space,
            dataset=dataset,
            target=target,
            resamples=resamples,
        )
        for i, (proxy, values) in enumerate(scores.items())
    ]
    per_arch = [
        PerArchValues(
            space=space,
            dataset=dataset,
            target=target,
            archs=archs,
            truth=[float(v) for v in truth],
            scores={p: [float(v) for v in values] for p, values in scores.items()},
        )
    ]
    return ResultsDocument(
        kind=kind,
        run_id=run_id,
        config={
            "table": "nb201-csv",
            "target": target,
            "archs": truth.size,
            "network_variant": "as_trained",
            "input": {"source": "synthetic", "batch_size": 8},
            "seed": seed,
        },
        versions={"harness": "0.1.0", "numpy": np.__version__},
        git_revision="0123456789abcdef0123456789abcdef01234567",
        data_files={"nb201/nats_tss_test_accuracy.csv": "cb5d777e" + "0" * 56},
        seed=seed,
        rows=rows,
        per_arch=per_arch if with_per_arch else [],
    )


def noisy_scores(truth: np.ndarray, noise: Mapping[str, float], seed: int = 0) -> dict:
    """Scores = truth + Gaussian noise of the given scale per proxy (more noise, lower tau)."""
    rng = np.random.default_rng(seed)
    return {p: truth + scale * rng.standard_normal(truth.size) for p, scale in noise.items()}


def standard_document(n: int = 60, seed: int = 0, **kwargs) -> ResultsDocument:
    """Three proxies of decreasing quality, one lower-is-better, on n architectures."""
    rng = np.random.default_rng(100 + seed)
    truth = rng.uniform(70, 95, n)
    scores = noisy_scores(truth, {"good": 3.0, "fair": 8.0, "poor": 30.0}, seed=seed)
    scores["inverse"] = -scores.pop("fair")
    return make_document(scores, truth, lower_is_better=("inverse",), seed=seed, **kwargs)


def ablation_document() -> ResultsDocument:
    """A 2 x 2 grid (batch 8/16 x source a/b); proxy "sensitive" degrades with source b."""
    rng = np.random.default_rng(7)
    truth = rng.uniform(70, 95, 80)
    archs = [f"arch{i:04d}" for i in range(truth.size)]
    grid = {"input.batch_size": [8, 16], "input.source": ["a", "b"]}
    rows, per_arch, settings = [], [], []
    index = 0
    for batch in grid["input.batch_size"]:
        for source in grid["input.source"]:
            values = {"input.batch_size": batch, "input.source": source}
            scores = {
                "steady": truth + 4.0 * np.random.default_rng(1).standard_normal(truth.size),
                "sensitive": truth
                + (4.0 if source == "a" else 40.0)
                * np.random.default_rng(2 + index).standard_normal(truth.size),
            }
            for proxy, score in scores.items():
                rows.append(
                    make_row(proxy, score, truth, extra={"ablation": values, "setting": index})
                )
            per_arch.append(
                PerArchValues(
                    space="nb201",
                    dataset="cifar10",
                    target="cifar10/accuracy/test/200",
                    archs=archs,
                    truth=[float(v) for v in truth],
                    scores={p: [float(v) for v in s] for p, s in scores.items()},
                )
            )
            settings.append({"index": index, "values": values})
            index += 1
    return ResultsDocument(
        kind="ablation",
        run_id="ablation-test",
        config={"base": {"table": "nb201-csv", "archs": 80}, "grid": grid, "settings": settings},
        versions={"harness": "0.1.0"},
        git_revision="fedcba9876543210fedcba9876543210fedcba98",
        data_files={"nb201/nats_tss_test_accuracy.csv": "cb5d777e" + "0" * 56},
        seed=0,
        rows=rows,
        per_arch=per_arch,
    )


def distill_document() -> ResultsDocument:
    """Two methods x three seeds x five epochs; "margin" ends higher than "spos"."""
    rows = []
    for method, slope in (("spos", 0.05), ("margin", 0.1)):
        for seed in range(3):
            for epoch in range(0, 50, 10):
                tau = slope * epoch / 10 + 0.01 * seed
                row = ResultRow(
                    space="nb201", dataset="cifar10", target="cifar10/accuracy/test/200",
                    proxy=method, higher_is_better=True, n=100, n_failed=0, kendall=tau,
                    kendall_lo=tau - 0.05, kendall_hi=tau + 0.05, spearman=tau, spearman_lo=None,
                    spearman_hi=None, pearson=None,
                    extra={"method": method, "kind": "sampler", "seed": seed, "epoch": epoch},
                )  # fmt: skip
                rows.append(row)
    return ResultsDocument(
        kind="distill",
        run_id="distill-test",
        config={"epochs": 50},
        versions={"harness": "0.1.0"},
        git_revision=None,
        data_files={},
        seed=0,
        rows=rows,
    )
