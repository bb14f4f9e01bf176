"""RD-NAS's ranking-distillation loss and the schedules of its weight lambda.

For a pair (a, b) trained on the same batch, with cross-entropy losses l_a and l_b, the
teacher's preference is distilled by a hinge that asks the teacher-preferred subnet to have
the LOWER loss (margin 0; RD-NAS's margin lives in the pair sampler):

- `asymmetric` (the reference, PicoNAS `PairwiseRankLoss`): the gradient reaches only the
  second subnet b; l_a enters as a constant (stop-gradient).
  If the teacher prefers b: R = max(0, l_b - sg(l_a)); otherwise (ties included, as in
  the reference): R = max(0, sg(l_a) - l_b).
- `symmetric`: `MarginRankingLoss` with margin 0 on both losses, R = max(0, l_pref - l_other);
  the gradient reaches both subnets; a teacher tie gives R = 0.

The step's loss is l_a + l_b + lambda(t) * R, t in (fractional) epochs.

Lambda schedules: `constant` (lambda = value), `warmup` (value * min(1, t / warmup_epochs);
with value 2 and 20 warm-up epochs this is the reference's min(2, t / 10)) and `sine`
(value * sin(0.8 pi t / E), the reference's Dec-2022 NB201 schedule with value 2; it peaks
at t = 0.625 E and ends at 0.59 value).
The reference steps t once per epoch; here t counts fractional epochs, which matters only
for runs of few epochs (the first epoch would otherwise have lambda = 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from harness.errors import ConfigError

RANK_MODES = ("asymmetric", "symmetric")
LAMBDA_SCHEDULES = ("constant", "warmup", "sine")


def teacher_prefers_second(score_first: float, score_second: float) -> bool | None:
    """True if the teacher ranks the second subnet higher, False if the first, None on a tie.

    Scores are oriented so that higher is better.
    """
    if score_second > score_first:
        return True
    if score_first > score_second:
        return False
    return None


def rank_hinge(
    loss_first: torch.Tensor,
    loss_second: torch.Tensor,
    prefers_second: bool | None,
    mode: str = "asymmetric",
) -> torch.Tensor:
    """The hinge R for one pair (see the module docstring); a 0-d tensor."""
    if mode == "asymmetric":
        anchor = loss_first.detach()
        if prefers_second:
            return torch.relu(loss_second - anchor)
        return torch.relu(anchor - loss_second)
    if mode == "symmetric":
        if prefers_second is None:
            return loss_second.new_zeros(())
        preferred, other = (
            (loss_second, loss_first) if prefers_second else (loss_first, loss_second)
        )
        return torch.relu(preferred - other)
    raise ConfigError(f"unknown rank loss mode {mode!r} (known: {', '.join(RANK_MODES)})")


@dataclass(frozen=True)
class LambdaSchedule:
    """lambda(t) for t in fractional epochs out of `total_epochs`."""

    kind: str = "sine"
    value: float = 2.0
    warmup_epochs: float = 20.0
    total_epochs: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in LAMBDA_SCHEDULES:
            raise ConfigError(
                f"unknown lambda schedule {self.kind!r} (known: {', '.join(LAMBDA_SCHEDULES)})"
            )
        if self.value < 0 or self.warmup_epochs <= 0 or self.total_epochs <= 0:
            raise ConfigError(
                "lambda value must be >= 0, warm-up epochs and total epochs > 0; got "
                f"{self.value}, {self.warmup_epochs}, {self.total_epochs}"
            )

    def __call__(self, t: float) -> float:
        if self.kind == "constant":
            return self.value
        if self.kind == "warmup":
            return self.value * min(1.0, t / self.warmup_epochs)
        return self.value * math.sin(0.8 * math.pi * t / self.total_epochs)
