"""The `harness distill` configuration: TOML file -> frozen dataclasses, `--set` overrides.

Sections: `[distill]` (what to compare, seeds, device, where checkpoints go), `[supernet]`,
`[data]`, `[train]`, `[rdnas]`, `[teacher]` (with `[teacher.input]`, the batch a
data-dependent proxy is scored on, as `harness run`'s `[input]`) and `[eval]`. The
embedded defaults are the reference's CIFAR-10 settings (benchmarks/rdnas_paper.toml);
benchmarks/rdnas_cpu.toml is the small Fashion-MNIST configuration.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config import InputConfig, Overrides, check_seed, load_config
from harness.distill.loss import LAMBDA_SCHEDULES, RANK_MODES
from harness.distill.samplers import PAIR_RULES
from harness.distill.space import SPACES
from harness.errors import ConfigError
from harness.seeds import seed_range

METHODS = ("spos", "rdnas")
TEACHER_MODES = ("auto", "analytic", "lazy", "precompute")
BN_MODES = ("batch", "recalibrate")
EVAL_SCORES = ("accuracy", "neg_loss")
AUGMENTATIONS = ("none", "crop_flip")
#: Bumped when a checkpoint written by an older harness could not be resumed.
CHECKPOINT_FORMAT = 1


@dataclass(frozen=True)
class SupernetConfig:
    #: nb201_4op (RD-NAS: no `none`, 4,096 subnets) or nb201_5op (15,625)
    space: str = "nb201_4op"
    C: int = 16
    N: int = 5
    dropout: float = 0.1


@dataclass(frozen=True)
class DataConfig:
    #: an image source of harness.inputs: fashion-mnist, cifar10, cifar100, imagenet16-120
    source: str = "cifar10"
    #: folder of the image files ("" = the source's usual place)
    path: str = ""
    #: a fixed subset of the source's train split for training ...
    train_images: int = 25_000
    #: ... and a disjoint held-out part of the same split, where subnets are ranked
    heldout_images: int = 25_000
    #: 0 = the source's natural size (32; 16 for ImageNet16-120)
    image_size: int = 0
    #: which images (fixed across training seeds)
    seed: int = 0
    class_balanced: bool = True
    #: none, or crop_flip (random 4-pixel-padded crop and horizontal flip)
    augment: str = "crop_flip"
    #: train on synthetic Gaussian images when the files are absent (smoke runs only)
    fallback_to_synthetic: bool = False


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 250
    #: the reference's scripts pass 64 but its loader hard-codes 512, which is what ran
    batch_size: int = 512
    lr: float = 0.025
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 5e-4
    #: cosine decay from lr to min_lr over all steps
    min_lr: float = 0.0
    #: clip the gradient norm (0 = no clipping)
    grad_clip: float = 5.0


@dataclass(frozen=True)
class RDNASConfig:
    #: random, hamming or margin (the group-distance margin sampler)
    sampler: str = "margin"
    margin: float = 6.7
    hamming: float = 4.5
    #: any registered proxy, or "oracle" (the ground truth: an upper bound, not a method)
    teacher: str = "flops"
    #: asymmetric (reference: gradient to the second subnet only) or symmetric
    rank_loss: str = "asymmetric"
    #: constant, warmup or sine
    lambda_schedule: str = "sine"
    lambda_value: float = 2.0
    lambda_warmup_epochs: float = 20.0


@dataclass(frozen=True)
class TeacherConfig:
    #: auto (analytic for flops/params, lazy otherwise), analytic, lazy or precompute
    mode: str = "auto"
    #: the run seed of the scores (harness run --seed): same seed, same store keys
    seed: int = 0
    network_variant: str = "as_trained"
    store: str = "reports/scores.sqlite"
    #: the oracle teacher's ground truth ("" = the evaluation target)
    target: str = ""
    input: InputConfig = field(default_factory=InputConfig)


@dataclass(frozen=True)
class EvalConfig:
    #: subnets ranked (0 = every subnet of the space), a sample fixed by sample_seed
    archs: int = 0
    sample_seed: int = 0
    #: evaluate every this many epochs (and after the last)
    every: int = 25
    #: batch (BN normalises with each evaluation batch's statistics, as the reference)
    #: or recalibrate (BN statistics re-estimated per subnet on training batches)
    bn_mode: str = "batch"
    batch_size: int = 512
    #: held-out images used (0 = all of them)
    images: int = 0
    recalibration_batches: int = 4
    #: what ranks the subnets: accuracy (reference) or neg_loss
    score: str = "accuracy"
    bootstrap_resamples: int = 1000
    confidence: float = 0.95


@dataclass(frozen=True)
class DistillConfig:
    #: ground truth: table and target
    table: str = "nb201-csv"
    #: ("" = the default target the table declares)
    target: str = ""
    #: options of the table's loader (see harness run's `table_options`)
    table_options: dict[str, Any] = field(default_factory=dict)
    methods: tuple[str, ...] = METHODS
    #: the first training seed; `seeds` seeds are used: seed, seed + 1, ...
    seed: int = 0
    seeds: int = 3
    device: str = "cpu"
    #: torch threads (0 = torch's default)
    threads: int = 1
    #: per-run checkpoints, keyed by the settings that shape a run (resume and reuse)
    checkpoints: str = "reports/distill-checkpoints"
    supernet: SupernetConfig = field(default_factory=SupernetConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    rdnas: RDNASConfig = field(default_factory=RDNASConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def seed_list(self) -> tuple[int, ...]:
        """The training seeds: `seed` and the `seeds - 1` after it."""
        return seed_range(self.seed, self.seeds)


def load_distill_config(
    path: str | Path | None = None, overrides: Overrides | Iterable[str] = ()
) -> DistillConfig:
    """The embedded default, updated by the file's `[distill]` table (and the section
    tables beside it), then by overrides (`{"rdnas.teacher": "synflow"}`, or the `--set`
    text `rdnas.teacher=synflow`)."""
    config = load_config(DistillConfig(), path, overrides, section="distill")
    validate(config)
    return config


def smoke_config(config: DistillConfig) -> DistillConfig:
    """`config` shrunk for CI: one epoch, one seed, a small subset, few subnets ranked,
    one torch thread (CI machines are small and shared)."""
    teacher_mode = "lazy" if config.teacher.mode == "precompute" else config.teacher.mode
    return dataclasses.replace(
        config,
        seeds=1,
        threads=config.threads or 1,
        data=dataclasses.replace(
            config.data,
            train_images=min(config.data.train_images, 128),
            heldout_images=min(config.data.heldout_images, 64),
            fallback_to_synthetic=True,
        ),
        train=dataclasses.replace(
            config.train, epochs=1, batch_size=min(config.train.batch_size, 64)
        ),
        teacher=dataclasses.replace(config.teacher, mode=teacher_mode),
        eval=dataclasses.replace(
            config.eval,
            archs=min(config.eval.archs or 10, 10),
            every=1,
            images=0,
            batch_size=min(config.eval.batch_size, 64),
            recalibration_batches=min(config.eval.recalibration_batches, 1),
            bootstrap_resamples=min(config.eval.bootstrap_resamples, 100),
        ),
    )


def _choice(name: str, value: str, known: tuple[str, ...]) -> None:
    if value not in known:
        raise ConfigError(f"{name} must be one of {', '.join(known)}, got {value!r}")


def _positive(name: str, value: float, *, zero_ok: bool = False) -> None:
    if value < 0 or (value == 0 and not zero_ok):
        raise ConfigError(f"{name} must be {'>= 0' if zero_ok else '> 0'}, got {value}")


def validate(config: DistillConfig) -> None:
    for name, value in (
        ("seed", config.seed),
        ("seed + seeds - 1", config.seed + max(config.seeds, 1) - 1),
        ("data.seed", config.data.seed),
        ("eval.sample_seed", config.eval.sample_seed),
        ("teacher.seed", config.teacher.seed),
    ):
        check_seed(name, value)
    if not config.methods:
        raise ConfigError("methods must name spos, rdnas or both")
    for method in config.methods:
        _choice("methods", method, METHODS)
    _choice("supernet.space", config.supernet.space, tuple(SPACES))
    _choice("data.augment", config.data.augment, AUGMENTATIONS)
    _choice("rdnas.sampler", config.rdnas.sampler, PAIR_RULES)
    _choice("rdnas.rank_loss", config.rdnas.rank_loss, RANK_MODES)
    _choice("rdnas.lambda_schedule", config.rdnas.lambda_schedule, LAMBDA_SCHEDULES)
    _choice("teacher.mode", config.teacher.mode, TEACHER_MODES)
    _choice("eval.bn_mode", config.eval.bn_mode, BN_MODES)
    _choice("eval.score", config.eval.score, EVAL_SCORES)
    for name, value in (
        ("seeds", config.seeds),
        ("supernet.C", config.supernet.C),
        ("supernet.N", config.supernet.N),
        ("data.train_images", config.data.train_images),
        ("data.heldout_images", config.data.heldout_images),
        ("train.epochs", config.train.epochs),
        ("train.batch_size", config.train.batch_size),
        ("train.lr", config.train.lr),
        ("eval.every", config.eval.every),
        ("eval.batch_size", config.eval.batch_size),
        ("eval.recalibration_batches", config.eval.recalibration_batches),
        ("rdnas.lambda_warmup_epochs", config.rdnas.lambda_warmup_epochs),
        ("eval.bootstrap_resamples", config.eval.bootstrap_resamples),
    ):
        _positive(name, value)
    for name, value in (
        ("seed", config.seed),
        ("threads", config.threads),
        ("data.image_size", config.data.image_size),
        ("data.seed", config.data.seed),
        ("train.momentum", config.train.momentum),
        ("train.weight_decay", config.train.weight_decay),
        ("train.min_lr", config.train.min_lr),
        ("train.grad_clip", config.train.grad_clip),
        ("rdnas.margin", config.rdnas.margin),
        ("rdnas.hamming", config.rdnas.hamming),
        ("rdnas.lambda_value", config.rdnas.lambda_value),
        ("eval.archs", config.eval.archs),
        ("eval.sample_seed", config.eval.sample_seed),
        ("eval.images", config.eval.images),
        ("teacher.seed", config.teacher.seed),
    ):
        _positive(name, value, zero_ok=True)
    if not 0 <= config.supernet.dropout < 1:
        raise ConfigError(f"supernet.dropout must lie in [0, 1), got {config.supernet.dropout}")
    if not 0 < config.eval.confidence < 1:
        raise ConfigError(f"eval.confidence must lie in (0, 1), got {config.eval.confidence}")
    if config.eval.images > config.data.heldout_images:
        raise ConfigError(
            f"eval.images {config.eval.images} is more than data.heldout_images "
            f"{config.data.heldout_images}"
        )


def fingerprint(values: dict[str, Any]) -> str:
    """A short stable hash of JSON-able settings (checkpoint folders are keyed by it)."""
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
