"""Time the vectorised bootstrap against a per-resample scipy loop.

    python3 -m benchmarks.bench_bootstrap      # from the repository root; 1,000 x 1,000
    python3 -m benchmarks.bench_bootstrap --n 15625 --loop-resamples 20

Both sides compute Kendall tau-b, Spearman rho and Pearson r on the same
resampled rows; the scipy loop may run on fewer resamples (--loop-resamples)
and is scaled up to the same count. The vectorised side is timed --repeat
times and the best run counts (the CPU may be shared). Prints seconds, the ratio, the largest
difference between the two on the resamples both computed, and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from scipy import stats

from harness.stats import bootstrap_correlations
from harness.stats._resample import paired_replicates


def _scipy_loop(x: np.ndarray, y: np.ndarray, indices: np.ndarray) -> np.ndarray:
    rows = []
    for index in indices:
        xs, ys = x[index], y[index]
        rows.append(
            (
                stats.kendalltau(xs, ys).statistic,
                stats.spearmanr(xs, ys).statistic,
                stats.pearsonr(xs, ys).statistic,
            )
        )
    return np.array(rows).T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="architectures (rows)")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--loop-resamples", type=int, default=None, help="default: --resamples")
    parser.add_argument("--repeat", type=int, default=3, help="vectorised runs; the best counts")
    args = parser.parse_args()
    loop_resamples = args.loop_resamples or args.resamples

    rng = np.random.default_rng(0)
    truth = rng.normal(70, 3, args.n)
    score = truth + rng.normal(0, 3, args.n)

    bootstrap_correlations(score[:50], truth[:50], n_resamples=10)  # warm up imports and BLAS
    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        bootstrap_correlations(score, truth, n_resamples=args.resamples, seed=0)
        timings.append(time.perf_counter() - start)
    vectorised = min(timings)

    # The same resamples, drawn the way the engine draws them, for the scipy loop.
    check_rng = np.random.default_rng(1)
    indices = check_rng.integers(0, args.n, size=(loop_resamples, args.n))
    start = time.perf_counter()
    looped = _scipy_loop(score, truth, indices)
    loop = (time.perf_counter() - start) * args.resamples / loop_resamples
    engine = paired_replicates(
        [(score, truth)],
        ["kendall", "spearman", "pearson"],
        loop_resamples,
        np.random.default_rng(1),
    )[0]
    agreement = np.nanmax(np.abs(engine - looped))

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.resamples} resamples x {args.n} archs, Kendall + Spearman + Pearson")
    print(f"  vectorised bootstrap : {vectorised:8.3f} s (best of {args.repeat})")
    loop_note = "" if loop_resamples == args.resamples else f" (scaled from {loop_resamples})"
    print(f"  scipy per-resample   : {loop:8.3f} s{loop_note}")
    print(f"  speed-up             : {loop / vectorised:8.1f} x")
    print(f"  max |difference|     : {agreement:.2e} over {loop_resamples} shared resamples")
    print(f"  peak memory          : {peak_mib:8.0f} MiB")


if __name__ == "__main__":
    main()
