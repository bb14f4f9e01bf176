"""Mean over repeats (seeds) with its Student-t interval; a difference tested from two
figures' own intervals (`difference_from_intervals`).

For n repeats with mean m and sample standard deviation s (ddof = 1), the interval is
m ± t · s / √n, t the (1 + confidence) / 2 quantile of Student's t with n - 1 degrees of
freedom (scipy). With fewer than two repeats there is no interval: the half-width and s
are NaN. The arithmetic is done in exactly this order, (t · s) / √n, in float64, so every
caller gets the same bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats


@dataclass(frozen=True)
class MeanInterval:
    """Mean with its Student-t interval; floats for 1-D values, arrays along the other axes
    otherwise. `low`, `high` and `sd` are NaN with fewer than two values (`n`)."""

    mean: np.ndarray | np.floating
    low: np.ndarray | np.floating
    high: np.ndarray | np.floating
    sd: np.ndarray | np.floating
    n: int


def mean_t_interval(values: ArrayLike, confidence: float, axis: int = 0) -> MeanInterval:
    """The mean of `values` along `axis` and its central `confidence` Student-t interval."""
    array = np.asarray(values, dtype=float)
    n = int(array.shape[axis])
    mean = array.mean(axis=axis)
    if n < 2:
        sd = half = np.full_like(mean, np.nan)
    else:
        sd = array.std(axis=axis, ddof=1)
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    return MeanInterval(mean=mean, low=mean - half, high=mean + half, sd=sd, n=n)


def difference_from_intervals(
    base: tuple[float, float | None, float | None, float],
    new: tuple[float, float | None, float | None, float],
    alpha: float,
) -> tuple[float, float, float]:
    """(low, high, two-sided p) of new - base from two figures' own intervals alone, each
    given as (estimate, low, high, confidence): each interval's half-width is turned into
    a standard error by the normal approximation, the two added in quadrature. NaN when
    an interval end is missing; with a zero standard error p is 1 for no change, else 0.
    The test of last resort (the gate uses it when no per-architecture values are kept)."""
    normal = NormalDist()
    z = normal.inv_cdf(1 - alpha / 2)
    half_widths = []
    for _estimate, low, high, confidence in (base, new):
        if low is None or high is None:
            return math.nan, math.nan, math.nan
        half_widths.append((high - low) / 2 / normal.inv_cdf(0.5 + confidence / 2))
    delta = new[0] - base[0]
    se = math.hypot(*half_widths)
    if se == 0:
        return delta, delta, 1.0 if delta == 0 else 0.0
    p = 2 * (1 - normal.cdf(abs(delta) / se))
    return delta - z * se, delta + z * se, p
