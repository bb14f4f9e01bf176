"""Training: an interrupted run resumes to exactly the uninterrupted result; finished runs
are reused; SPOS and RD-NAS see the same initial weights and batches."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from harness.distill.config import (
    DataConfig,
    DistillConfig,
    EvalConfig,
    RDNASConfig,
    SupernetConfig,
    TrainConfig,
)
from harness.distill.data import load_supernet_data
from harness.distill.space import get_subnet_space
from harness.distill.teachers import Teacher
from harness.distill.train import checkpoint_path, rdnas_method, run_settings, train_run


class ConvCountTeacher(Teacher):
    """A cheap stand-in teacher: more convolutions is better."""

    name = "convcount"

    def score(self, key: str) -> float:
        return float(key.count("conv"))


def tiny_config(tmp_path, **changes) -> DistillConfig:
    config = DistillConfig(
        seeds=1,
        threads=1,
        checkpoints=str(tmp_path / "ckpt"),
        supernet=SupernetConfig(C=4, N=1),
        data=DataConfig(
            source="synthetic",
            train_images=48,
            heldout_images=16,
            image_size=8,
            augment="crop_flip",
        ),
        train=TrainConfig(epochs=3, batch_size=16),
        rdnas=RDNASConfig(lambda_schedule="constant"),
        eval=EvalConfig(archs=4, every=1, batch_size=8, bootstrap_resamples=10),
    )
    return dataclasses.replace(config, **changes)


class Interrupt(Exception):
    pass


def setup(config):
    space = get_subnet_space(config.supernet.space)
    data = load_supernet_data(config.data)
    subnets = [space.from_key(k) for k in space.sample_keys(config.eval.archs, 0)]
    method = rdnas_method(config, space, ConvCountTeacher(), {"teacher": "convcount"})
    return data, subnets, method


def final_weights(config, method, seed, data) -> dict[str, torch.Tensor]:
    path = checkpoint_path(
        config, method, seed, run_settings(config, method, seed, data.content_hash)
    )
    return torch.load(path, weights_only=True)["model"]


def test_interrupted_run_resumes_to_the_same_result(tmp_path):
    straight = tiny_config(tmp_path / "a")
    data, subnets, method = setup(straight)
    whole = train_run(
        straight, method, 0, data, subnets, device=torch.device("cpu"), progress=False
    )
    assert [r.epoch for r in whole.evaluations] == [1, 2, 3]
    assert whole.evaluations[-1].rank_pairs > 0

    broken = tiny_config(tmp_path / "b")

    def stop_after_first(epoch: int) -> None:
        if epoch == 1:
            raise Interrupt

    with pytest.raises(Interrupt):
        train_run(
            broken,
            method,
            0,
            data,
            subnets,
            device=torch.device("cpu"),
            progress=False,
            on_epoch_end=stop_after_first,
        )
    resumed = train_run(
        broken, method, 0, data, subnets, device=torch.device("cpu"), progress=False
    )
    assert resumed.resumed_from_epoch == 1 and not resumed.reused
    for mine, theirs in zip(resumed.evaluations, whole.evaluations, strict=True):
        assert mine.accuracy == theirs.accuracy and mine.loss == theirs.loss
        assert mine.train_loss == theirs.train_loss
    a, b = final_weights(straight, method, 0, data), final_weights(broken, method, 0, data)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

    again = train_run(broken, method, 0, data, subnets, device=torch.device("cpu"), progress=False)
    assert again.reused and again.evaluations[-1].accuracy == whole.evaluations[-1].accuracy


def test_checkpoints_are_keyed_by_settings(tmp_path):
    config = tiny_config(tmp_path)
    data, _, method = setup(config)
    base = checkpoint_path(config, method, 0, run_settings(config, method, 0, data.content_hash))
    other_seed = checkpoint_path(
        config, method, 1, run_settings(config, method, 1, data.content_hash)
    )
    longer = dataclasses.replace(config, train=TrainConfig(epochs=4, batch_size=16))
    longer_path = checkpoint_path(
        longer, method, 0, run_settings(longer, method, 0, data.content_hash)
    )
    assert len({base, other_seed, longer_path}) == 3
    # settings that do not shape training (bootstrap size) keep the same checkpoint
    report_only = dataclasses.replace(
        config, eval=dataclasses.replace(config.eval, bootstrap_resamples=99)
    )
    assert (
        checkpoint_path(
            report_only, method, 0, run_settings(report_only, method, 0, data.content_hash)
        )
        == base
    )
