"""A distill checkpoint as a search estimator: scores equal the checkpoint's own evaluation."""

from __future__ import annotations

import math

import pytest
import torch

from harness.distill.config import (
    DataConfig,
    DistillConfig,
    EvalConfig,
    SupernetConfig,
    TrainConfig,
)
from harness.distill.data import load_supernet_data
from harness.distill.scorer import load_supernet_scorer
from harness.distill.space import get_subnet_space
from harness.distill.train import checkpoint_path, run_settings, spos_method, train_run
from harness.errors import DataError
from harness.search.runner import default_supernet_loader


def _config(tmp_path, bn_mode: str) -> DistillConfig:
    return DistillConfig(
        seeds=1,
        threads=1,
        checkpoints=str(tmp_path / "ckpt"),
        supernet=SupernetConfig(C=4, N=1),
        data=DataConfig(source="synthetic", train_images=48, heldout_images=24, image_size=8),
        train=TrainConfig(epochs=2, batch_size=16),
        eval=EvalConfig(archs=5, every=1, batch_size=8, bn_mode=bn_mode, recalibration_batches=2),
    )


def _trained(tmp_path, bn_mode: str = "batch"):
    config = _config(tmp_path, bn_mode)
    space = get_subnet_space(config.supernet.space)
    data = load_supernet_data(config.data)
    keys = space.sample_keys(config.eval.archs, 0)
    method = spos_method(space)
    history = train_run(
        config,
        method,
        0,
        data,
        [space.from_key(k) for k in keys],
        device=torch.device("cpu"),
        progress=False,
    )
    path = checkpoint_path(config, method, 0, run_settings(config, method, 0, data.content_hash))
    return path, keys, history.evaluations[-1]


@pytest.mark.parametrize("bn_mode", ["batch", "recalibrate"])
def test_scores_equal_the_checkpoints_last_evaluation(tmp_path, bn_mode):
    path, keys, last = _trained(tmp_path, bn_mode)
    accuracy = load_supernet_scorer(path)
    neg_loss = load_supernet_scorer(path, score="neg_loss")
    for key, acc, loss in zip(keys, last.accuracy, last.loss, strict=True):
        assert accuracy(key) == acc
        assert neg_loss(key) == -loss
    # the scorer does not change the supernet: asking twice gives the same figure
    assert accuracy(keys[0]) == last.accuracy[0]


def test_ops_outside_the_supernet_space_score_nan(tmp_path):
    path, keys, _ = _trained(tmp_path)
    outside = "|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"
    assert math.isnan(load_supernet_scorer(path)(outside))


def test_bad_checkpoints_are_one_line_data_errors(tmp_path):
    path, _, _ = _trained(tmp_path)
    with pytest.raises(DataError, match="no such supernet checkpoint"):
        load_supernet_scorer(tmp_path / "missing.pt")
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="cannot read supernet checkpoint"):
        load_supernet_scorer(broken)
    state = torch.load(path, weights_only=True)
    state["settings"]["data"]["content_hash"] = "0" * 64
    other = tmp_path / "other-data.pt"
    torch.save(state, other)
    with pytest.raises(DataError, match="differ from those the supernet was trained on"):
        load_supernet_scorer(other)


def test_search_uses_it_for_supernet_estimators():
    assert default_supernet_loader() is load_supernet_scorer
