"""Input-Jacobian proxies on the shared pass B: jacov (Mellor et al. v1) and EPE-NAS.

J is the gradient of each sample's summed logits with respect to its input,
one row per sample, from one train-mode forward (BN couples the samples, so
a row is not exactly a per-sample Jacobian; kept to match the references). jacov's
reference: `SamsungLabs/zero-cost-nas@a43bfbc` `foresight.pruners.measures` 'jacob_cov'.
Correlations and eigenvalues are computed in float64 with numpy, as the
references do.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from harness.proxies.base import ProxyContext, register_proxy
from harness.proxies.passes import jacobian_pass, labels_for

#: The references' regulariser of eigenvalues and correlations.
K_REGULARISER = 1e-5
#: EPE-NAS switches to pairwise class differences above this many classes.
EPE_MANY_CLASSES = 100
#: Why jacov and epe_nas record NaN where no input -> output path exists (harness check).
_CONSTANT_JACOBIAN = (
    "the logits do not depend on the input: every Jacobian row is zero, their correlation "
    "matrix is undefined and the score NaN (NASLib's -1e8)"
)


def _as_rows(jacobian: torch.Tensor | np.ndarray) -> np.ndarray:
    rows = np.asarray(torch.as_tensor(jacobian).detach().cpu().to(torch.float64))
    return rows.reshape(rows.shape[0], -1)


def jacov_score(jacobian: torch.Tensor | np.ndarray) -> float:
    """-sum_i [log(l_i + k) + 1/(l_i + k)] over the eigenvalues l of corrcoef(J), k = 1e-5.

    A constant row (no input dependence) makes the correlation undefined: NaN.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(_as_rows(jacobian))
    if not np.all(np.isfinite(corr)):
        return math.nan
    eigenvalues = np.linalg.eigvalsh(corr)
    shifted = eigenvalues + K_REGULARISER
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(-np.sum(np.log(shifted) + 1.0 / shifted))


def _class_correlation_sum(rows: np.ndarray, divide_by_size: bool) -> float | None:
    """s_c = sum log(|corrcoef(J_c)| + k); None where the reference skips the class."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if rows.shape[0] == 1:
            # numpy's corrcoef of one row is a scalar: 1, or NaN for a constant row. The
            # reference then fails on len() of that scalar when dividing, skipping the class.
            if divide_by_size:
                return None
            row = rows[0]
            corr = np.array(1.0 if np.ptp(row) > 0 else math.nan)
        else:
            corr = np.corrcoef(rows)
        total = float(np.sum(np.log(np.abs(corr) + K_REGULARISER)))
    return total / rows.shape[0] if divide_by_size else total


def epe_nas_score(
    jacobian: torch.Tensor | np.ndarray,
    labels: torch.Tensor | np.ndarray,
    num_classes: int,
) -> float:
    """EPE-NAS (Lopes et al. 2021) of a Jacobian J [B, D] with integer labels [B].

    For each class c seen in the batch, s_c = sum over the entries of
    log(|corrcoef(J_c)| + 1e-5). With at most 100 classes the score is sum_c |s_c|;
    with more, each s_c is divided by its matrix size n_c and the score is
    sum_c sum_c' |s_c - s_c'| / (number of classes scored). A class with a single
    sample contributes log(1 + 1e-5) in the first case and is skipped in the second,
    exactly as the reference code behaves (`VascoLopes/EPE-NAS@22bd341`, `search.py`
    eval_score_perclass; NASLib `pruners.measures.epe_nas`).

    A batch in which no class has two samples (batch 64 over CIFAR-100's or
    ImageNet16-120's classes, class-balanced) carries no information for EPE-NAS: the
    reference returns the same constant for every architecture (<= 100 classes) or
    fails (more). Both raise here, naming the batch, so the record says why;
    `epe_nas_batch_note` describes a batch that is only partly degenerate.
    """
    rows = _as_rows(jacobian)
    label_values = np.asarray(torch.as_tensor(labels).detach().cpu()).reshape(-1)
    if label_values.shape[0] != rows.shape[0]:
        raise ValueError(f"{rows.shape[0]} Jacobian rows but {label_values.shape[0]} labels")
    many = num_classes > EPE_MANY_CLASSES
    note = epe_nas_batch_note(label_values)
    if note is not None and note.startswith("degenerate"):
        raise ValueError(f"EPE-NAS: {note}")
    per_class: list[float] = []
    for label in dict.fromkeys(label_values.tolist()):  # first-seen order, as the reference
        value = _class_correlation_sum(rows[label_values == label], divide_by_size=many)
        if value is not None:
            per_class.append(value)
    if not many:
        return float(sum(abs(v) for v in per_class))
    values = np.asarray(per_class)
    return float(np.abs(values[:, None] - values[None, :]).sum() / len(values))


def epe_nas_batch_note(labels: torch.Tensor | np.ndarray) -> str | None:
    """None when every class of the batch has two or more samples; else what EPE-NAS
    makes of the batch: "degenerate ..." (no class has two: no information) or how many
    samples sit in single-sample classes (each adds a constant, as in the reference)."""
    values = np.asarray(torch.as_tensor(labels).detach().cpu()).reshape(-1)
    _, counts = np.unique(values, return_counts=True)
    singles = int((counts == 1).sum())
    if singles == 0:
        return None
    if singles == counts.size:
        return (
            f"degenerate batch: none of its {counts.size} classes has two or more of its "
            f"{values.size} samples, so every architecture would get the same constant "
            "(use a larger batch or fewer classes)"
        )
    return (
        f"{singles} of {counts.size} classes in the batch of {values.size} have one sample; "
        "each adds a constant, as in the reference"
    )


@register_proxy(
    name="jacov",
    version="1",
    permutation_invariant=True,
    fails_on={"no_path": _CONSTANT_JACOBIAN},
    needs=("data", "input_jacobian"),
    description="Jacobian covariance (NASWOT v1): eigenvalue score of corrcoef of J.",
)
def jacov(ctx: ProxyContext) -> float:
    return jacov_score(jacobian_pass(ctx).jacobian)


@register_proxy(
    name="epe_nas",
    version="2",
    permutation_invariant=True,
    fails_on={"no_path": _CONSTANT_JACOBIAN},
    needs=("data", "labels", "input_jacobian"),
    description="EPE-NAS: per-class Jacobian correlation score (classes = logit width).",
    describe_batch=epe_nas_batch_note,
)
def epe_nas(ctx: ProxyContext) -> float:
    result = jacobian_pass(ctx)
    return epe_nas_score(result.jacobian, labels_for(ctx), result.logit_width)
