"""Which rows a figure may use, and how many failed.

Failures are data: a proxy that returned NaN or inf for an architecture must
show up in the report as a failure, not vanish silently. Every public function
in this package goes through `usable_rows`, which applies a failure policy:

* ``"drop"``: a failed architecture is left out of the figure (and counted);
* ``"worst"``: a failed architecture stays, ranked below every architecture the
  proxy scored (all failures tied), as NASLib's -1e8 and TE-NAS's 1e5 for a NaN
  kappa do. Only the order is used: a value-based figure (Pearson) is undefined
  when a failure is in the rows.

A third policy, ``"common"`` (every proxy on the architectures where all of them
succeeded), spans proxies; its callers select those rows (`harness.stats.failures.
common_rows`) and then drop. The policies are named here and described in
`harness.stats.failures`, the policy's public face.
Architectures without a finite ground truth are never a proxy's failure: they are
left out under every policy and counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from harness.errors import ConfigError

#: Below this many usable rows every figure is NaN: two points always
#: correlate perfectly, which would be a number without information.
MIN_ROWS = 3

FailurePolicy = Literal["drop", "worst", "common"]
#: The failure policies, the one list (commands, configs and documents check against it).
FAILURE_POLICIES: tuple[str, ...] = ("worst", "drop", "common")


@dataclass(frozen=True)
class UsableRows:
    """The (score, truth) rows a figure uses, the score oriented so higher is better.

    `positions` are the indices of the kept rows in the caller's arrays, so
    index pairs given by the caller can be translated. `n_compared` counts the rows
    with a finite truth (the architectures compared, whatever the policy),
    `n_failed` those of them whose score is NaN/inf, `n_no_truth` the rows without
    a finite truth, and `n_filled` the failures kept as worst (policy "worst").
    """

    score: np.ndarray
    truth: np.ndarray
    positions: np.ndarray
    n_failed: int
    n_compared: int = -1
    n_no_truth: int = 0
    n_filled: int = 0

    @property
    def n(self) -> int:
        """Rows the figure uses."""
        return int(self.score.size)


def as_vector(values: ArrayLike, name: str) -> np.ndarray:
    """`values` as a 1-D float64 array (a copy), or ValueError naming `name`."""
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    return array


def check_failure_policy(failures: str) -> str:
    if failures not in FAILURE_POLICIES:
        raise ConfigError(
            f"failures must be one of {', '.join(FAILURE_POLICIES)}, got {failures!r}"
        )
    return failures


def fill_worst(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """A copy of `values` with every non-finite entry ranked below every finite one, all
    tied: the finite minimum - 1 (maximum + 1 when lower is better); 0 if none is finite."""
    values = np.array(values, dtype=float)
    finite = np.isfinite(values)
    if finite.all():
        return values
    if not finite.any():
        worst = 0.0
    elif higher_is_better:
        worst = values[finite].min() - 1.0
    else:
        worst = values[finite].max() + 1.0
    values[~finite] = worst
    return values


def usable_rows(
    score: ArrayLike, truth: ArrayLike, *, higher_is_better: bool, failures: str = "drop"
) -> UsableRows:
    """The rows a figure uses under the failure policy (see the module docstring), the
    score negated if lower is better. "common" acts like "drop" on one proxy's rows."""
    check_failure_policy(failures)
    score_vector = as_vector(score, "score")
    truth_vector = as_vector(truth, "truth")
    if score_vector.shape != truth_vector.shape:
        raise ValueError(
            f"score and truth differ in length: {score_vector.size} != {truth_vector.size}"
        )
    has_truth = np.isfinite(truth_vector)
    scored = np.isfinite(score_vector)
    n_failed = int(np.count_nonzero(has_truth & ~scored))
    keep = has_truth if failures == "worst" else has_truth & scored
    oriented = score_vector[keep] if higher_is_better else -score_vector[keep]
    failed = ~np.isfinite(oriented)
    if failed.any():  # "worst": below every scored architecture, all failures tied
        oriented = fill_worst(oriented, higher_is_better=True)
    return UsableRows(
        score=oriented,
        truth=truth_vector[keep],
        positions=np.flatnonzero(keep),
        n_failed=n_failed,
        n_compared=int(np.count_nonzero(has_truth)),
        n_no_truth=int(truth_vector.size - np.count_nonzero(has_truth)),
        n_filled=int(np.count_nonzero(failed)),
    )


def check_confidence(confidence: float) -> float:
    """`confidence` if it lies strictly between 0 and 1, else ConfigError."""
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return float(confidence)


#: The most bootstrap resamples any figure draws (issue 27: a mistyped 10**9 would run
#: for days); the default is 1000.
MAX_RESAMPLES = 100_000


def check_resamples(n_resamples: int) -> int:
    """`n_resamples` if it is an integer in 1..MAX_RESAMPLES, else ConfigError."""
    if isinstance(n_resamples, bool) or int(n_resamples) != n_resamples or n_resamples < 1:
        raise ConfigError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    if n_resamples > MAX_RESAMPLES:
        raise ConfigError(
            f"n_resamples must be at most {MAX_RESAMPLES:,} (the limit), got {n_resamples:,}"
        )
    return int(n_resamples)


def make_generator(seed: int | np.random.Generator) -> np.random.Generator:
    """A numpy Generator from an explicit seed; None is refused so runs stay reproducible."""
    if seed is None:
        raise ConfigError("seed must be an int or numpy Generator, not None (runs must repeat)")
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)
