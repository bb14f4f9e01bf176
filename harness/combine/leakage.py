"""The leakage test: does the evaluation measure only what held-out architectures reveal?

Each model is given one feature, a noisy copy of the ground truth (the normal scores of
the accuracies' ranks, so a long tail of poor architectures does not drown the rest, plus
`noise` x N(0, 1)), through the same splits, fitting, rank
transform and pooled statistics as the real evaluation (`run_splits`):

- **training split only**: the labelled architectures get the copy; every other one gets
  an uninformative value of the same spread. An honest evaluation must find the held-out
  Kendall tau at chance: its pooled interval must not lie above 0;
- **all architectures**: every architecture gets the copy, a deliberate leak. The
  held-out tau must then be clearly above chance (pooled interval above 0), which shows
  the test can see a leak.

Whether an architecture counts as labelled is read from each split's training positions,
so an evaluation that let labelled architectures into the held-out set (or correlated on
the fitted ones) would carry the copy into the figures, and the first check would fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, rankdata

from harness.combine.evaluate import Evaluation, SplitDesign, Splitter, run_splits
from harness.combine.splits import Split, draw_splits
from harness.seeds import derive_seed

LEAK_FEATURE = "leaked truth"
#: Noise sd of the copy (on normal scores of the truth's ranks): Spearman ~0.97 with it.
DEFAULT_NOISE = 0.25
#: The two arms of the test.
TRAIN_ONLY = "training split only"
EVERYWHERE = "all architectures"


@dataclass(frozen=True)
class LeakageVerdict:
    """One arm at one k for one model, and whether it behaved as it must."""

    arm: str
    model: str
    k: int
    kendall: float
    low: float
    high: float
    above_chance: bool
    #: train-only: not above chance; everywhere: above chance
    as_expected: bool


@dataclass(frozen=True)
class LeakageResult:
    noise: float
    evaluations: dict[str, Evaluation]
    verdicts: tuple[LeakageVerdict, ...]

    @property
    def passed(self) -> bool:
        return all(v.as_expected for v in self.verdicts)


def _leak_design(truth: np.ndarray, noise: float, seed: int, everywhere: bool):
    finite = np.isfinite(truth)
    z = np.zeros(truth.size)
    z[finite] = norm.ppf(rankdata(truth[finite]) / (finite.sum() + 1.0))
    spread = float(np.sqrt(1.0 + noise**2))

    def design(split: Split) -> SplitDesign:
        rng = np.random.default_rng(derive_seed(seed, "combine/leak", split.k, split.index))
        copy = z + noise * rng.standard_normal(truth.size)
        uninformative = spread * rng.standard_normal(truth.size)
        if everywhere:
            leak = copy
        else:
            leak = uninformative.copy()
            leak[split.train] = copy[split.train]
        column = leak[:, None]
        return SplitDesign(
            train_features=column[split.train],
            train_truth=truth[split.train],
            eval_features=column[split.test],
            eval_truth=truth[split.test],
        )

    return design


def leakage_test(
    *,
    groups: Sequence[str],
    truth: np.ndarray,
    models: Sequence[str],
    ks: Sequence[int],
    n_splits: int,
    min_held_out: int,
    seed: int,
    n_resamples: int,
    confidence: float,
    noise: float = DEFAULT_NOISE,
    splitter: Splitter = draw_splits,
) -> LeakageResult:
    """Both arms of the test for every model and k (see the module doc)."""
    truth = np.asarray(truth, dtype=float)
    evaluations: dict[str, Evaluation] = {}
    verdicts: list[LeakageVerdict] = []
    for arm, everywhere in ((TRAIN_ONLY, False), (EVERYWHERE, True)):
        evaluation = run_splits(
            label=f"leakage: {arm}",
            groups=groups,
            features=[LEAK_FEATURE],
            design=_leak_design(truth, noise, seed, everywhere),
            models=models,
            ks=ks,
            n_splits=n_splits,
            min_held_out=min_held_out,
            seed=seed,
            n_resamples=n_resamples,
            confidence=confidence,
            splitter=splitter,
        )
        evaluations[arm] = evaluation
        for point in evaluation.points:
            tau = point.figures["kendall"]
            above = bool(np.isfinite(tau.low) and tau.low > 0)
            verdicts.append(
                LeakageVerdict(
                    arm=arm,
                    model=point.model,
                    k=point.k,
                    kendall=tau.estimate,
                    low=tau.low,
                    high=tau.high,
                    above_chance=above,
                    as_expected=above if everywhere else not above,
                )
            )
    return LeakageResult(noise=noise, evaluations=evaluations, verdicts=tuple(verdicts))
