"""Train one supernet (one method, one seed) with checkpoints, and rank subnets as it goes.

SPOS trains one uniform subnet per step with cross-entropy. RD-NAS trains a pair on the
same batch with l_a + l_b + lambda(t) R (harness.distill.loss), R from the teacher's
preference. Otherwise the two are trained identically: same initial weights for a seed,
same batches in the same order, SGD with momentum, weight decay, cosine learning rate per
step, gradient clipping. (A pair step costs two subnet passes; budgets are equal in epochs
and batches, as the reference compares them, not in passes.)

Randomness is seeded per (seed, epoch): the batch order, the sampled subnets and dropout.
A checkpoint is written after every epoch (atomically), so an interrupted run resumes at
its last completed epoch and finishes with the same weights, subnets and figures as an
uninterrupted one. A finished run's checkpoint holds its whole evaluation history, so
asking for it again costs nothing.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from harness.distill.config import CHECKPOINT_FORMAT, DistillConfig, fingerprint
from harness.distill.data import SupernetData, steps_per_epoch, train_batches
from harness.distill.evaluate import evaluate_subnets
from harness.distill.loss import LambdaSchedule, rank_hinge, teacher_prefers_second
from harness.distill.samplers import PairSampler, UniformSampler
from harness.distill.space import Subnet, SubnetSpace, get_subnet_space
from harness.distill.supernet import NB201Supernet
from harness.distill.teachers import Teacher
from harness.errors import DataError
from harness.seeds import derive_seed


@dataclass(frozen=True)
class Method:
    """One way of training the supernet: SPOS, or RD-NAS with its sampler and teacher."""

    kind: str
    label: str
    sampler: UniformSampler | PairSampler
    teacher: Teacher | None = None
    rank_loss: str = "asymmetric"
    schedule: LambdaSchedule | None = None
    #: the settings that shape its training (part of the checkpoint key and the results)
    settings: dict[str, Any] = field(default_factory=dict)


def spos_method(space: SubnetSpace) -> Method:
    return Method("spos", "spos", UniformSampler(space), settings={"method": "spos"})


def rdnas_method(
    config: DistillConfig, space: SubnetSpace, teacher: Teacher, teacher_identity: dict
) -> Method:
    rd = config.rdnas
    threshold = {"margin": rd.margin, "hamming": rd.hamming, "random": 0.0}[rd.sampler]
    sampler = PairSampler(space, rd.sampler, threshold)
    parts = [f"teacher={teacher.name}"]
    if rd.sampler == "margin":
        parts.append(f"m={rd.margin:g}")
    elif rd.sampler == "hamming":
        parts += ["sampler=hamming", f"h={rd.hamming:g}"]
    else:
        parts.append("sampler=random")
    # settings off the reference's defaults are named, so two variants never share a label
    defaults = type(rd)()
    if rd.rank_loss != defaults.rank_loss:
        parts.append(rd.rank_loss)
    if (rd.lambda_schedule, rd.lambda_value) != (defaults.lambda_schedule, defaults.lambda_value):
        parts.append(f"lambda={rd.lambda_schedule}:{rd.lambda_value:g}")
    label = f"rdnas[{','.join(parts)}]"
    schedule = LambdaSchedule(
        rd.lambda_schedule, rd.lambda_value, rd.lambda_warmup_epochs, config.train.epochs
    )
    settings = {"method": "rdnas", **asdict(rd), "teacher_identity": teacher_identity}
    if rd.sampler != "margin":
        settings.pop("margin")
    if rd.sampler != "hamming":
        settings.pop("hamming")
    return Method("rdnas", label, sampler, teacher, rd.rank_loss, schedule, settings)


@dataclass
class EpochRecord:
    """What one evaluation found, with the training statistics of the epoch before it."""

    epoch: int
    accuracy: list[float]
    loss: list[float]
    train_loss: float
    rank_loss: float
    lambda_value: float
    rank_pairs: int
    teacher_ties: int
    teacher_failures: int
    train_seconds: float
    eval_seconds: float


@dataclass
class RunHistory:
    label: str
    seed: int
    key: str
    evaluations: list[EpochRecord]
    train_seconds: float
    eval_seconds: float
    reused: bool = False
    resumed_from_epoch: int = 0


def run_settings(config: DistillConfig, method: Method, seed: int, data_hash: str) -> dict:
    """Everything that shapes a training run and its evaluations (the checkpoint key)."""
    ev = config.eval
    return {
        "format": CHECKPOINT_FORMAT,
        "method": method.settings,
        "seed": seed,
        "supernet": asdict(config.supernet),
        "data": {**asdict(config.data), "content_hash": data_hash},
        "train": asdict(config.train),
        "eval": {
            "archs": ev.archs,
            "sample_seed": ev.sample_seed,
            "every": ev.every,
            "bn_mode": ev.bn_mode,
            "batch_size": ev.batch_size,
            "images": ev.images,
            "recalibration_batches": ev.recalibration_batches,
        },
    }


def checkpoint_path(config: DistillConfig, method: Method, seed: int, settings: dict) -> Path:
    safe = "".join(c if c.isalnum() or c in "=.-" else "_" for c in method.label)
    return Path(config.checkpoints) / f"{safe}-seed{seed}-{fingerprint(settings)}" / "run.pt"


def cosine_lr(base: float, minimum: float, step: int, total: int) -> float:
    return minimum + 0.5 * (base - minimum) * (1 + math.cos(math.pi * step / max(total, 1)))


def _save(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    torch.save(state, partial)
    partial.replace(path)


def build_supernet(config: DistillConfig, num_classes: int) -> NB201Supernet:
    """The supernet `config.supernet` describes (weights from the current torch seed)."""
    return NB201Supernet(
        get_subnet_space(config.supernet.space).ops,
        num_classes=num_classes,
        C=config.supernet.C,
        N=config.supernet.N,
        dropout=config.supernet.dropout,
    )


def evaluation_set(config: DistillConfig, data: SupernetData) -> tuple[torch.Tensor, ...]:
    """The held-out images and labels subnets are ranked on."""
    n = config.eval.images or len(data.heldout_labels)
    return data.heldout_images[:n], data.heldout_labels[:n]


def recalibration_batches(config: DistillConfig, data: SupernetData) -> list[torch.Tensor]:
    """Training batches that re-estimate BN statistics per subnet (bn_mode recalibrate)."""
    if config.eval.bn_mode != "recalibrate":
        return []
    rng = np.random.default_rng(derive_seed("recalibration", config.data.seed))
    order = torch.from_numpy(rng.permutation(len(data.train_labels)))
    size = config.eval.batch_size
    return [
        data.train_images[order[i * size : (i + 1) * size].to(data.train_images.device)]
        for i in range(config.eval.recalibration_batches)
        if i * size < len(order)
    ]


def train_run(
    config: DistillConfig,
    method: Method,
    seed: int,
    data: SupernetData,
    eval_subnets: Sequence[Subnet],
    *,
    device: torch.device,
    progress: bool = True,
    on_epoch_end: Callable[[int], None] | None = None,
) -> RunHistory:
    """Train (or resume, or reuse) one run; its evaluation history.

    `on_epoch_end(epoch)` is called after each epoch's checkpoint is written (tests use it
    to interrupt a run).
    """

    settings = run_settings(config, method, seed, data.content_hash)
    path = checkpoint_path(config, method, seed, settings)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed("distill-init", seed))
        model = build_supernet(config, data.num_classes).to(device)
    tc = config.train
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=tc.lr,
        momentum=tc.momentum,
        weight_decay=tc.weight_decay,
        nesterov=tc.nesterov,
    )
    history: list[EpochRecord] = []
    start_epoch, train_seconds, eval_seconds = 0, 0.0, 0.0
    if path.exists():
        try:
            state = torch.load(path, map_location=device, weights_only=True)
        except Exception as exc:  # a damaged file is the user's to remove, not ours
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise DataError(
                f"{path}: cannot read checkpoint ({reason}); delete it to restart"
            ) from None
        if state.get("settings") != settings:
            raise DataError(f"{path}: checkpoint made with other settings; delete it to restart")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        history = [EpochRecord(**r) for r in state["history"]]
        start_epoch = state["epoch"]
        train_seconds, eval_seconds = state["train_seconds"], state["eval_seconds"]
    result = RunHistory(
        method.label,
        seed,
        path.parent.name,
        history,
        train_seconds,
        eval_seconds,
        reused=start_epoch >= tc.epochs,
        resumed_from_epoch=start_epoch,
    )
    if start_epoch >= tc.epochs:
        return result

    per_epoch = steps_per_epoch(data, tc.batch_size)
    total_steps = per_epoch * tc.epochs
    eval_images, eval_labels = evaluation_set(config, data)
    recalibration = recalibration_batches(config, data)
    bar = tqdm(
        total=total_steps,
        initial=start_epoch * per_epoch,
        desc=f"{method.label} seed {seed}",
        unit="step",
        disable=not progress,
        file=sys.stderr,
    )
    try:
        for epoch in range(start_epoch, tc.epochs):
            started = time.perf_counter()
            stats = _train_epoch(model, optimizer, method, data, config, seed, epoch, bar)
            train_seconds += time.perf_counter() - started
            done = epoch + 1
            if done % config.eval.every == 0 or done == tc.epochs:
                started = time.perf_counter()
                evaluation = evaluate_subnets(
                    model,
                    eval_subnets,
                    eval_images,
                    eval_labels,
                    batch_size=config.eval.batch_size,
                    bn_mode=config.eval.bn_mode,
                    recalibration_batches=recalibration,
                    progress=progress,
                    description=f"ranking {len(eval_subnets)} subnets",
                )
                spent = time.perf_counter() - started
                eval_seconds += spent
                history.append(
                    EpochRecord(
                        epoch=done,
                        accuracy=evaluation.accuracy,
                        loss=evaluation.loss,
                        train_seconds=round(train_seconds, 3),
                        eval_seconds=round(spent, 3),
                        **stats,
                    )
                )
            _save(
                path,
                {
                    "settings": settings,
                    "epoch": done,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "history": [asdict(r) for r in history],
                    "train_seconds": train_seconds,
                    "eval_seconds": eval_seconds,
                },
            )
            if on_epoch_end is not None:
                on_epoch_end(done)
    finally:
        bar.close()
    result.train_seconds, result.eval_seconds = train_seconds, eval_seconds
    return result


def _train_epoch(
    model: NB201Supernet,
    optimizer: torch.optim.Optimizer,
    method: Method,
    data: SupernetData,
    config: DistillConfig,
    seed: int,
    epoch: int,
    bar: Any,
) -> dict[str, float | int]:
    tc = config.train
    per_epoch = steps_per_epoch(data, tc.batch_size)
    sampler_rng = np.random.default_rng([seed, epoch, 1])
    batch_rng = np.random.default_rng([config.data.seed, seed, epoch, 2])
    torch.manual_seed(derive_seed("distill-dropout", seed, epoch))
    space = get_subnet_space(config.supernet.space)
    model.train()
    # train_loss: mean cross-entropy per subnet; rank_loss: mean hinge R over rank pairs
    totals = {"loss": 0.0, "rank": 0.0, "lambda": 0.0}
    counts = {"rank_pairs": 0, "teacher_ties": 0, "teacher_failures": 0}
    batches = train_batches(data, tc.batch_size, batch_rng, config.data.augment)
    for step, (images, labels) in enumerate(batches):
        global_step = epoch * per_epoch + step
        for group in optimizer.param_groups:
            group["lr"] = cosine_lr(tc.lr, tc.min_lr, global_step, per_epoch * tc.epochs)
        subnets = method.sampler.sample(sampler_rng)
        losses = [F.cross_entropy(model(images, s), labels) for s in subnets]
        loss = sum(losses)
        if method.teacher is not None:
            first, second = subnets
            scores = (
                method.teacher.score(space.key(first)),
                method.teacher.score(space.key(second)),
            )
            weight = method.schedule(epoch + step / per_epoch) if method.schedule else 0.0
            totals["lambda"] += weight
            if None in scores:
                counts["teacher_failures"] += 1
            else:
                prefers_second = teacher_prefers_second(*scores)
                counts["teacher_ties"] += prefers_second is None
                hinge = rank_hinge(losses[0], losses[1], prefers_second, method.rank_loss)
                loss = loss + weight * hinge
                totals["rank"] += float(hinge.detach())
                counts["rank_pairs"] += 1
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if tc.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_clip)
        optimizer.step()
        totals["loss"] += sum(float(x.detach()) for x in losses) / len(losses)
        bar.update(1)
        if step % 10 == 0:
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}", refresh=False)
    steps = max(per_epoch, 1)
    return {
        "train_loss": totals["loss"] / steps,
        "rank_loss": totals["rank"] / max(counts["rank_pairs"], 1),
        "lambda_value": totals["lambda"] / steps,
        **counts,
    }
