"""Where a combination's features come from: a run's results document, a table's
reference scores, and the sets a fitted model is carried to."""

from __future__ import annotations

import numpy as np
import pytest

from harness.combine.data import document_set, reference_set, select_features, transfer_set
from harness.errors import ConfigError, DataError
from harness.results import PerArchValues, ResultRow, ResultsDocument


def _row(proxy: str, higher: bool, **extra) -> ResultRow:
    return ResultRow("nb201", "cifar10", "t", proxy, higher, 12, 0, 0.5, None, None,
                     0.5, None, None, None, extra=extra)  # fmt: skip


def _document(n: int = 12) -> ResultsDocument:
    from harness.spaces import get_space

    archs = get_space("nb201").sample_keys(n, 0)
    rng = np.random.default_rng(0)
    values = {p: rng.normal(size=n).tolist() for p in ("meco", "params", "tenas", "mine")}
    values["params"][0] = None  # a failure
    return ResultsDocument(
        kind="run", run_id="r", config={"table": "nb201-csv"}, versions={},
        git_revision=None, data_files={}, seed=0,
        rows=[_row("meco", True), _row("params", True), _row("tenas", False),
              _row("mine", True, members=["meco", "params"], combination="mean_rank")],
        per_arch=[PerArchValues("nb201", "cifar10", "cifar10/accuracy/test/200", archs,
                                rng.normal(80, 5, n).tolist(), values)],
    )  # fmt: skip


def test_a_documents_set_level_proxies_are_never_features():
    score_set = document_set(_document(), ["mean_rank", "vote"])
    # tenas (registry: set-level, even without members in its row) and a row with members
    assert list(score_set.scores) == ["meco", "params"]
    assert np.isnan(score_set.scores["params"][0])
    assert list(score_set.label_free) == ["mean_rank"]  # vote's members are absent
    assert any("vote" in note for note in score_set.notes)
    from harness.spaces import get_space

    assert score_set.groups == tuple(get_space("nb201").iso_key(a) for a in score_set.archs)


def test_feature_patterns_must_match_and_leave_two():
    assert select_features(["a", "b", "c"], ["a", "c*"]) == ["a", "c"]
    with pytest.raises(ConfigError, match="match"):
        select_features(["a", "b"], ["z*"])
    with pytest.raises(ConfigError, match="two or more"):
        select_features(["a", "b"], ["a"])


def test_reference_scores_and_their_transfer_to_another_dataset(real_data_dir):
    source = reference_set("suite-zero-nb201", "cifar10", "", ["vote"], data_dir=real_data_dir)
    assert len(source) == 724 and source.target.startswith("cifar10-valid")
    assert len(set(source.groups)) < len(source)  # isomorphic cells share a class
    assert all(source.higher_is_better.values())
    target = transfer_set(source, "cifar100", ["vote"], data_dir=real_data_dir)
    assert target.same_archs and not target.same_scores
    assert target.scores.archs == source.archs  # aligned on the source's rows
    assert target.scores.target.startswith("cifar100")
    assert not np.allclose(target.scores.scores["synflow"], source.scores["synflow"])
    other = transfer_set(source, "suite-zero-nb101:cifar10", [], data_dir=real_data_dir)
    assert not other.same_archs and other.scores.space == "nb101"
    with pytest.raises(ConfigError, match="DATASET"):
        transfer_set(source, "suite-zero-nb101:", [], data_dir=real_data_dir)


def test_a_table_without_reference_scores_is_a_one_line_error(real_data_dir):
    with pytest.raises(DataError, match="no reference proxy scores"):
        reference_set("nb201-csv", "cifar10", "", [], data_dir=real_data_dir)
