"""Official-format loaders on miniature files in the official on-disk layout."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tables_official_files as mini

from harness.errors import ArchitectureError, DataError
from harness.tables import load_table
from harness.tables.official import NATS_TSS_DIR, NB201_PTH_FILE

SPLITS = ("valid", "test")


def _check_against_spec(table) -> None:
    """Every figure equals the seed mean computed from the miniature's own spec."""
    assert table.archs == mini.META_ARCHS
    for index, arch in enumerate(mini.META_ARCHS):
        for hp in ("12", "200"):
            for dataset in mini.ALL_DATASETS:
                for split in SPLITS:
                    expected = mini.expected_accuracy(index, hp, dataset, split)
                    column = f"{dataset}/accuracy/{split}/{hp}"
                    if expected is None:
                        assert column not in table.targets() or math.isnan(
                            table.frame.loc[arch, column]
                        ), column
                    else:
                        assert table.frame.loc[arch, column] == pytest.approx(expected), column


def test_nb201_pth_through_nas_201_api(tmp_path):
    mini.write_nb201_pth(tmp_path / NB201_PTH_FILE)
    table = load_table("nb201-official", tmp_path)
    assert table.space == "nb201"
    _check_against_spec(table)
    # both schedules and all four datasets appear; cifar10 has no valid split
    assert "cifar10-valid/accuracy/valid/12" in table.targets()
    assert "ImageNet16-120/accuracy/test/200" in table.targets()
    assert "cifar10/accuracy/valid/200" not in table.targets()
    assert table.benchmark_index.tolist() == [0, 1, 2]
    assert table.default_target("cifar10") == "cifar10/accuracy/test/200"
    assert table.sources[0].name == NB201_PTH_FILE


def test_nb201_pth_averages_seeds(tmp_path):
    mini.write_nb201_pth(tmp_path / NB201_PTH_FILE)
    table = load_table("nb201-official", tmp_path)
    # cell 0 trained three times on cifar10 (seeds 777, 888, 999): mean of three
    values = [mini.accuracy(0, "200", "cifar10", "ori-test", s) for s in (777, 888, 999)]
    assert table.frame.iloc[0]["cifar10/accuracy/test/200"] == pytest.approx(np.mean(values))


def test_nb201_pth_with_python_objects_needs_trust(tmp_path):
    path = mini.write_nb201_pth(tmp_path / "other.pth", extra=np.float64(0.5))
    with pytest.raises(DataError, match=r"other\.pth: .*trust_pickle=True") as info:
        load_table("nb201-official", tmp_path, path=path)
    assert "\n" not in str(info.value)
    table = load_table("nb201-official", tmp_path, path=path, trust_pickle=True)
    _check_against_spec(table)


def test_nb201_pth_that_is_not_a_benchmark(tmp_path):
    import torch

    path = tmp_path / NB201_PTH_FILE
    path.parent.mkdir(parents=True)
    torch.save({"meta_archs": []}, path)
    with pytest.raises(DataError, match="not a NAS-Bench-201 file"):
        load_table("nb201-official", tmp_path)
    path.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a NAS-Bench-201 file"):
        load_table("nb201-official", tmp_path)


def test_nats_tss_folder_through_nats_bench(tmp_path):
    mini.write_nats_tss(tmp_path / NATS_TSS_DIR)
    table = load_table("nats-tss", tmp_path, trust_pickle=True)
    _check_against_spec(table)
    assert table.sources[0].sha256 is None
    subset = load_table("nats-tss", tmp_path, indices=[2], trust_pickle=True)
    assert subset.archs == [mini.META_ARCHS[2]]


def test_nats_and_nb201_agree_on_the_same_content(tmp_path):
    mini.write_nb201_pth(tmp_path / NB201_PTH_FILE)
    mini.write_nats_tss(tmp_path / NATS_TSS_DIR)
    a = load_table("nb201-official", tmp_path).frame
    b = load_table("nats-tss", tmp_path, trust_pickle=True).frame
    assert a.columns.tolist() == b.columns.tolist()
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), equal_nan=True)


def test_nats_tss_missing_architecture_file(tmp_path):
    mini.write_nats_tss(tmp_path / NATS_TSS_DIR, skip=(1,))
    with pytest.raises(DataError, match="architecture index 1"):
        load_table("nats-tss", tmp_path, trust_pickle=True)


def test_nats_tss_missing_folder_and_bad_meta(tmp_path):
    with pytest.raises(DataError, match="folder not found"):
        load_table("nats-tss", tmp_path, trust_pickle=True)
    folder = tmp_path / NATS_TSS_DIR
    folder.mkdir(parents=True)
    (folder / "meta.pickle.pbz2").write_bytes(b"garbage")
    with pytest.raises(DataError, match="not a NATS-Bench topology folder"):
        load_table("nats-tss", tmp_path, trust_pickle=True)


def test_official_invalid_architecture_string(tmp_path, monkeypatch):
    monkeypatch.setattr(mini, "META_ARCHS", [*mini.META_ARCHS[:2], "|bogus~0|+|x~0|y~1|"])
    mini.write_nats_tss(tmp_path / NATS_TSS_DIR)
    with pytest.raises(ArchitectureError, match="architecture index 2"):
        load_table("nats-tss", tmp_path, trust_pickle=True)


class _RunsCode:
    """Unpickling this calls `Path.touch(marker)`: what a crafted data file could do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        from pathlib import Path

        return (Path.touch, (Path(self.marker),))


def test_nats_tss_is_not_unpickled_without_trust(tmp_path):
    folder = tmp_path / NATS_TSS_DIR
    folder.mkdir(parents=True)
    marker = tmp_path / "code-ran"
    mini._bz2_pickle({"meta_archs": [_RunsCode(marker)]}, folder / "meta.pickle.pbz2")
    with pytest.raises(DataError, match="--trust-pickle") as info:
        load_table("nats-tss", tmp_path)
    assert "\n" not in str(info.value)
    assert not marker.exists()


@pytest.mark.parametrize(
    "meta",
    [[1, 2, 3], {"meta_archs": 7}, {"meta_archs": [None]}, "text", {"other": 1}],
    ids=["list", "int-archs", "none-arch", "text", "no-archs"],
)
def test_nats_tss_crafted_folder_is_one_line_data_error(tmp_path, meta):
    folder = tmp_path / NATS_TSS_DIR
    folder.mkdir(parents=True)
    mini._bz2_pickle(meta, folder / "meta.pickle.pbz2")
    with pytest.raises((DataError, ArchitectureError)) as info:
        load_table("nats-tss", tmp_path, trust_pickle=True)
    assert "\n" not in str(info.value)


def test_official_accuracy_outside_0_100_is_refused_or_dropped(tmp_path, monkeypatch):
    original = mini.accuracy

    def broken(index, hp, dataset, eval_set, seed):
        return 150.0 if index == 1 else original(index, hp, dataset, eval_set, seed)

    monkeypatch.setattr(mini, "accuracy", broken)
    mini.write_nats_tss(tmp_path / NATS_TSS_DIR)
    with pytest.raises(DataError, match="architecture index 1: ground truth .* outside"):
        load_table("nats-tss", tmp_path, trust_pickle=True)
    table = load_table("nats-tss", tmp_path, trust_pickle=True, bad_truth="drop")
    assert table.archs == [a for i, a in enumerate(mini.META_ARCHS) if i != 1]
    assert table.benchmark_index.tolist() == [i for i in range(len(mini.META_ARCHS)) if i != 1]
    assert len(table.warnings) == 1 and "dropped 1 record" in table.warnings[0]
    assert table.warnings[0] in table.notes
