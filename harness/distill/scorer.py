"""A trained supernet as an architecture estimator: what `supernet:PATH` searches use.

`load_supernet_scorer(checkpoint)` reads a `run.pt` written by `harness distill`, rebuilds
its supernet and the held-out images it was ranked on from the settings stored in the
checkpoint (the image files are loaded again and must hash to the recorded content hash),
and returns `score(arch_key) -> float`: the subnet's accuracy in percent on those images
with inherited weights (or minus its loss with `score="neg_loss"`), evaluated exactly as
`harness distill` ranks subnets (same images, batch size and BN mode), so the score of a
ranked subnet equals the figure in the checkpoint's last evaluation. A key with an op
outside the supernet's space (e.g. `none` for the 4-op RD-NAS space) scores NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import torch

from harness.distill.config import (
    CHECKPOINT_FORMAT,
    DataConfig,
    DistillConfig,
    EvalConfig,
    SupernetConfig,
)
from harness.distill.data import load_supernet_data
from harness.distill.evaluate import evaluate_subnets
from harness.distill.space import get_subnet_space
from harness.distill.train import build_supernet, evaluation_set, recalibration_batches
from harness.errors import ArchitectureError, DataError

SupernetScore = Literal["accuracy", "neg_loss"]


def _read_checkpoint(path: Path, device: torch.device) -> dict:
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise DataError(f"{path}: no such supernet checkpoint") from None
    except Exception as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise DataError(f"{path}: cannot read supernet checkpoint ({reason})") from None
    if not isinstance(state, dict) or "settings" not in state or "model" not in state:
        raise DataError(f"{path}: not a checkpoint written by harness distill")
    found = state["settings"].get("format")
    if found != CHECKPOINT_FORMAT:
        raise DataError(
            f"{path}: checkpoint format {found}, this harness reads format {CHECKPOINT_FORMAT}"
        )
    return state


def load_supernet_scorer(
    checkpoint: str | Path,
    *,
    score: SupernetScore = "accuracy",
    device: str | torch.device = "cpu",
) -> Callable[[str], float]:
    """The scorer of a `harness distill` checkpoint (see the module docstring)."""
    if score not in ("accuracy", "neg_loss"):
        raise ValueError(f"score must be 'accuracy' or 'neg_loss', got {score!r}")
    path, device = Path(checkpoint), torch.device(device)
    checkpoint_state = _read_checkpoint(path, device)
    settings = checkpoint_state["settings"]
    data_settings = dict(settings["data"])
    recorded_hash = data_settings.pop("content_hash")
    config = DistillConfig(
        supernet=SupernetConfig(**settings["supernet"]),
        data=DataConfig(**data_settings),
        eval=EvalConfig(**settings["eval"]),
    )
    data = load_supernet_data(config.data)
    if data.content_hash != recorded_hash:
        raise DataError(
            f"{path}: the images of data source {config.data.source!r} differ from those the "
            f"supernet was trained on (content hash {data.content_hash[:12]} vs "
            f"{recorded_hash[:12]})"
        )
    data = data.to(device)
    space = get_subnet_space(config.supernet.space)
    model = build_supernet(config, data.num_classes).to(device)
    model.load_state_dict(checkpoint_state["model"])
    images, labels = evaluation_set(config, data)
    recalibration = recalibration_batches(config, data)

    def scorer(arch: str) -> float:
        try:
            subnet = space.from_key(arch)
        except ArchitectureError:
            return math.nan
        evaluation = evaluate_subnets(
            model,
            [subnet],
            images,
            labels,
            batch_size=config.eval.batch_size,
            bn_mode=config.eval.bn_mode,
            recalibration_batches=recalibration,
        )
        if score == "accuracy":
            return float(evaluation.accuracy[0])
        return -float(evaluation.loss[0])

    return scorer
