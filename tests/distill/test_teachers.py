"""Teachers: the per-op sums equal the registered proxies; the store is shared with `run`."""

from __future__ import annotations

import numpy as np
import pytest

from harness.distill.space import get_subnet_space
from harness.distill.teachers import AdditiveComplexityTeacher, OracleTeacher, StoreTeacher
from harness.scoring import score_architecture
from harness.store import ScoreStore

#: the batch the teachers score with: 4 synthetic images, not class-balanced
_BATCH = dict(batch_size=4, class_balanced=False, num_classes=10)


@pytest.mark.parametrize("proxy", ["flops", "params"])
def test_additive_counts_equal_the_registered_proxy(proxy, synthetic_plan):
    plan = synthetic_plan((proxy,), **_BATCH)
    teacher = AdditiveComplexityTeacher(proxy, "cifar10", 10, 32)
    rng = np.random.default_rng(0)
    for space_name in ("nb201_4op", "nb201_5op"):
        space = get_subnet_space(space_name)
        subnets = space.all_subnets()
        for code in rng.choice(space.size, size=4, replace=False):
            key = space.key(subnets[int(code)])
            (record,) = score_architecture(plan, key, [proxy])
            assert record.status == "ok"
            assert teacher.score(key) == record.score  # exact: both are integer sums


def test_store_teacher_writes_harness_run_keys_and_reuses_them(tmp_path, synthetic_plan):
    plan = synthetic_plan(("params",), **_BATCH)
    store_path = tmp_path / "scores.sqlite"
    space = get_subnet_space("nb201_4op")
    keys = [space.key(s) for s in space.all_subnets()[:3]]
    teacher = StoreTeacher(plan, "params", str(store_path), mode="lazy")
    first = [teacher.score(k) for k in keys]
    teacher.close()
    assert teacher.computed == 3
    with ScoreStore(store_path, create=False) as store:
        assert store.count() == 3
        for key, value in zip(keys, first, strict=True):
            assert store.get(plan.key(key, "params")).score == value  # `harness run`'s key
    again = StoreTeacher(plan, "params", str(store_path), mode="lazy")
    assert [again.score(k) for k in keys] == first
    assert again.computed == 0
    assert again.known_scores(keys + [space.key(space.all_subnets()[5])]) == dict(
        zip(keys, first, strict=True)
    )
    again.close()


def test_store_teacher_precompute_fills_the_store(tmp_path, synthetic_plan):
    plan = synthetic_plan(("params",), **_BATCH)
    space = get_subnet_space("nb201_4op")
    keys = [space.key(s) for s in space.all_subnets()[:4]]
    teacher = StoreTeacher(plan, "params", str(tmp_path / "s.sqlite"), mode="precompute")
    teacher.prepare(keys, progress=False)
    assert teacher.computed == 4
    assert teacher.known_scores(keys).keys() == set(keys)
    teacher.close()


def test_oracle_is_the_truth_and_marked_as_a_bound():
    teacher = OracleTeacher({"a": 91.0, "b": 85.5}, "cifar10/test/200")
    assert teacher.score("a") == 91.0 and teacher.is_upper_bound
    assert teacher.describe()["upper_bound"] is True
