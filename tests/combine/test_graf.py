"""GRAF-style graph features (harness.combine.graf) on cells worked out by hand, and the
`graf` feature set of `harness combine` (alone, with proxies; never the comparator)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.combine import graf
from harness.combine.data import ScoreSet
from harness.combine.evaluate import BEST_PROXY
from harness.combine.runner import _select, evaluate_all, with_graf
from harness.errors import ConfigError
from harness.spaces.nb201 import enumerate_archs

#: edges 0->1 conv3, 0->2 conv3, 1->2 pool, 0->3 skip, 1->3 conv3, 2->3 skip
CELL = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
    "+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
)
NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"


def _features(key: str) -> dict[str, float]:
    return dict(zip(graf.FEATURE_NAMES, graf.graf_features(key), strict=True))


def test_the_feature_set_has_gra_fs_size_and_names():
    assert len(graf.SUBSETS) == 30 and len(set(graf.SUBSETS)) == 30
    assert len(graf.FEATURE_NAMES) == 5 + 5 * 30 == len(set(graf.FEATURE_NAMES))
    assert all(name.startswith("graf/") for name in graf.FEATURE_NAMES)


def test_features_of_a_cell_worked_out_by_hand():
    f = _features(CELL)
    counts = {op: f[f"graf/op_count/{op}"] for op in ("none", "skip_connect", "nor_conv_1x1",
                                                       "nor_conv_3x3", "avg_pool_3x3")}  # fmt: skip
    assert counts == {"none": 0, "skip_connect": 2, "nor_conv_1x1": 0, "nor_conv_3x3": 3,
                      "avg_pool_3x3": 1}  # fmt: skip
    assert f["graf/min_path/skip_connect"] == 2  # 0->1->3 avoids the skips
    assert f["graf/min_path/nor_conv_3x3"] == 1  # the skip 0->3
    assert f["graf/min_path/skip_connect+nor_conv_3x3"] == graf.NO_PATH == 5
    assert f["graf/max_on_path/nor_conv_3x3"] == 2  # 0->1->3
    assert f["graf/max_on_path/skip_connect"] == 1
    assert f["graf/max_on_path/skip_connect+nor_conv_3x3+avg_pool_3x3"] == 3  # 0->1->2->3
    assert f["graf/in_degree/nor_conv_3x3"] == 2  # 0->1, 0->2
    assert f["graf/out_degree/skip_connect"] == 2  # 0->3, 2->3
    assert f["graf/out_degree/nor_conv_3x3"] == 1
    assert f["graf/mean_degree/nor_conv_3x3"] == 0.75


def test_an_all_none_cell_has_no_open_path():
    f = _features(NONE)
    assert f["graf/op_count/none"] == 6
    assert f["graf/min_path/none"] == graf.NO_PATH
    assert f["graf/min_path/skip_connect"] == 1  # avoiding skips, the none edge 0->3 remains
    assert f["graf/max_on_path/none"] == 3


def test_graf_matrix_is_per_cell_and_refuses_another_space():
    keys = [a.to_string() for a, _ in zip(enumerate_archs(), range(7), strict=False)]
    matrix = graf.graf_matrix("nb201", keys)
    assert set(matrix) == set(graf.FEATURE_NAMES)
    assert matrix["graf/op_count/none"].tolist() == [
        _features(k)["graf/op_count/none"] for k in keys
    ]
    with pytest.raises(ConfigError, match="defined for the nb201 space"):
        graf.graf_matrix("darts", keys)


def _cells_set(n: int = 200, seed: int = 0) -> ScoreSet:
    """NB201 cells whose truth is a graph feature plus noise; one weak proxy, one noise."""
    rng = np.random.default_rng(seed)
    archs = [a.to_string() for a in enumerate_archs()][:: 15_625 // n][:n]
    convs = np.array([_features(a)["graf/op_count/nor_conv_3x3"] for a in archs])
    truth = convs + rng.normal(0, 0.3, n)
    return ScoreSet(
        table="cells", space="nb201", score_dataset="cifar10", target="cifar10/test/200",
        archs=tuple(archs), groups=tuple(archs), truth=truth,
        scores={"weak": truth + rng.normal(0, 3, n), "noise": rng.normal(0, 1, n)},
        higher_is_better={"weak": True, "noise": True}, origin="reference",
    )  # fmt: skip


def test_graf_is_chosen_by_name_and_star_never_matches_it():
    source = with_graf(_cells_set())
    assert _select(source, ["*"]) == ["weak", "noise"]
    assert _select(source, ["graf"]) == list(graf.FEATURE_NAMES)
    assert _select(source, ["graf", "weak"]) == ["weak", *graf.FEATURE_NAMES]
    with pytest.raises(ConfigError, match="match"):
        _select(source, ["graf", "nwot"])


def test_graf_features_learn_what_the_proxies_miss_against_the_best_proxy():
    from harness.combine.config import CombineConfig
    from harness.config import load_run_config

    source = with_graf(_cells_set())
    config = CombineConfig(features=("graf",), models=("ridge",), ks=(100,), splits=3,
                           leakage=False, split_resamples=20, min_held_out=20)  # fmt: skip
    run = load_run_config(None, [])
    features, held_out, *_ = evaluate_all(run, config, source, data_dir=None)
    assert features == list(graf.FEATURE_NAMES)
    assert held_out.comparators[BEST_PROXY][0] == "weak"  # a proxy, never a graph feature
    (point,) = [p for p in held_out.points if p.model == "ridge" and p.k == 100]
    versus = point.versus[BEST_PROXY]  # paired on the same held-out rows
    assert point.figures["kendall"].estimate > 0.6 and versus.delta > 0.2 and versus.low > 0
