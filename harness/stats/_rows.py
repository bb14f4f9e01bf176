"""Which rows a figure may use, and how many failed.

Failures are data: a proxy that returned NaN or inf for an architecture must
show up in the report as a failure, not vanish and not be filled in. Every
public function in this package therefore goes through `usable_rows`, which
keeps the finite rows and counts the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from harness.errors import ConfigError

#: Below this many usable rows every figure is NaN: two points always
#: correlate perfectly, which would be a number without information.
MIN_ROWS = 3


@dataclass(frozen=True)
class UsableRows:
    """Finite (score, truth) rows, the score already oriented so higher is better.

    `positions` are the indices of the kept rows in the caller's arrays, so
    index pairs given by the caller can be translated; `n_failed` counts the
    rows left out because the score was NaN/inf or the truth was not finite.
    """

    score: np.ndarray
    truth: np.ndarray
    positions: np.ndarray
    n_failed: int

    @property
    def n(self) -> int:
        return int(self.score.size)


def as_vector(values: ArrayLike, name: str) -> np.ndarray:
    """`values` as a 1-D float64 array (a copy), or ValueError naming `name`."""
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    return array


def usable_rows(score: ArrayLike, truth: ArrayLike, *, higher_is_better: bool) -> UsableRows:
    """Keep rows where score and truth are finite; negate the score if lower is better."""
    score_vector = as_vector(score, "score")
    truth_vector = as_vector(truth, "truth")
    if score_vector.shape != truth_vector.shape:
        raise ValueError(
            f"score and truth differ in length: {score_vector.size} != {truth_vector.size}"
        )
    finite = np.isfinite(score_vector) & np.isfinite(truth_vector)
    oriented = score_vector[finite] if higher_is_better else -score_vector[finite]
    return UsableRows(
        score=oriented,
        truth=truth_vector[finite],
        positions=np.flatnonzero(finite),
        n_failed=int(finite.size - np.count_nonzero(finite)),
    )


def check_confidence(confidence: float) -> float:
    """`confidence` if it lies strictly between 0 and 1, else ConfigError."""
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return float(confidence)


def check_resamples(n_resamples: int) -> int:
    """`n_resamples` if it is a positive integer, else ConfigError."""
    if isinstance(n_resamples, bool) or int(n_resamples) != n_resamples or n_resamples < 1:
        raise ConfigError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    return int(n_resamples)


def make_generator(seed: int | np.random.Generator) -> np.random.Generator:
    """A numpy Generator from an explicit seed; None is refused so runs stay reproducible."""
    if seed is None:
        raise ConfigError("seed must be an int or numpy Generator, not None (runs must repeat)")
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)
