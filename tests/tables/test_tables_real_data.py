"""Loaders on the real benchmark files (skipped when the data folder is absent)."""

from __future__ import annotations

import json
import math

import pytest
from scipy.stats import kendalltau

from harness.tables import load_table, verify_data_dir

CSV_KNOWN_ARCH = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
    "+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
)


@pytest.fixture(scope="module")
def csv_table(real_data_dir):
    return load_table("nb201-csv", real_data_dir)


@pytest.fixture(scope="module")
def zero201(real_data_dir):
    return load_table("suite-zero-nb201", real_data_dir)


def test_manifest_matches_the_shared_data_folder(real_data_dir):
    statuses = {s.name: s for s in verify_data_dir(real_data_dir)}
    for name in (
        "nb201/nats_tss_test_accuracy.csv",
        "suite_zero/zc_nasbench201.json",
        "suite_zero/zc_nasbench301.json",
        "suite_zero/zc_nasbench101.json",
    ):
        assert statuses[name].status == "found", statuses[name]
        assert statuses[name].actual_sha256 == statuses[name].expected_sha256


def test_nb201_csv_rows_columns_and_a_known_row(csv_table):
    assert len(csv_table) == 15_625
    assert csv_table.targets() == [
        "cifar10/accuracy/test/200",
        "cifar100/accuracy/test/200",
        "ImageNet16-120/accuracy/test/200",
    ]
    row = csv_table.frame.loc[CSV_KNOWN_ARCH]
    # second data line of the file
    assert row["cifar10/accuracy/test/200"] == pytest.approx(93.66000000000001)
    assert row["cifar100/accuracy/test/200"] == pytest.approx(70.29333326822916)
    assert row["ImageNet16-120/accuracy/test/200"] == pytest.approx(44.03333332316081)
    assert csv_table.benchmark_index[CSV_KNOWN_ARCH] == 1
    assert csv_table.frame.notna().all().all()
    # the best CIFAR-10 test accuracy of NAS-Bench-201 (train+valid -> test) is 94.37
    assert csv_table.frame["cifar10/accuracy/test/200"].max() == pytest.approx(94.3733, abs=1e-3)
    assert csv_table.sources[0].sha256.startswith("cb5d777e")


def test_suite_zero_nb201_counts_and_split_apart(zero201, real_data_dir):
    counts = zero201.frame.notna().sum()
    assert counts["cifar10-valid/accuracy/valid/200"] == 724
    assert counts["cifar100/accuracy/valid/200"] == 725
    assert counts["ImageNet16-120/accuracy/valid/200"] == 724
    refs = zero201.reference_scores
    assert set(refs["dataset"]) == {"cifar10", "cifar100", "ImageNet16-120"}
    assert len(zero201.proxies()) == 12
    assert refs["seconds"].notna().all()
    assert not set(zero201.targets()) & set(refs["proxy"])
    # a known record, read independently of the loader
    raw = json.loads((real_data_dir / "suite_zero/zc_nasbench201.json").read_text())
    record = raw["cifar10"]["(0, 2, 3, 2, 3, 1)"]
    # NASLib order -> benchmark string order: positions [0, 1, 3, 2, 4, 5]
    key = "|skip_connect~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|nor_conv_1x1~1|none~2|"
    assert zero201.frame.loc[key, "cifar10-valid/accuracy/valid/200"] == record["val_accuracy"]
    nwot = refs[(refs["arch"] == key) & (refs["dataset"] == "cifar10") & (refs["proxy"] == "nwot")]
    assert nwot["score"].tolist() == [record["nwot"]["score"]]
    assert nwot["seconds"].tolist() == [record["nwot"]["time"]]


def test_every_suite_zero_nb201_key_joins_to_the_csv(zero201, csv_table):
    assert set(zero201.archs) <= set(csv_table.archs)
    joined = zero201.join(csv_table)
    assert len(joined) == len(zero201)


def test_reference_figure_kendall_tau_val_vs_csv_test(zero201, csv_table):
    joined = zero201.join(csv_table)
    pairs = joined.frame[["cifar10-valid/accuracy/valid/200", "cifar10/accuracy/test/200"]]
    pairs = pairs.dropna()
    assert len(pairs) == 724
    tau = kendalltau(pairs.iloc[:, 0], pairs.iloc[:, 1]).statistic
    assert tau == pytest.approx(0.88, abs=0.005)
    for dataset, expected in (("cifar100", 0.94), ("ImageNet16-120", 0.95)):
        pairs = joined.frame[
            [f"{dataset}/accuracy/valid/200", f"{dataset}/accuracy/test/200"]
        ].dropna()
        assert kendalltau(pairs.iloc[:, 0], pairs.iloc[:, 1]).statistic == pytest.approx(
            expected, abs=0.006
        )


def test_reference_proxy_figure_nwot_cifar10(zero201):
    # data README: nwot vs val_accuracy on NB201 CIFAR-10, Kendall tau 0.59
    refs = zero201.reference_scores
    nwot = refs[(refs["dataset"] == "cifar10") & (refs["proxy"] == "nwot")].set_index("arch")
    truth = zero201.column("cifar10-valid/valid/200").dropna()
    tau = kendalltau(nwot.loc[truth.index, "score"], truth).statistic
    assert tau == pytest.approx(0.59, abs=0.006)


def test_default_target_maps_cifar10_proxies_to_the_valid_run(zero201, csv_table):
    assert zero201.default_target("cifar10") == "cifar10-valid/accuracy/valid/200"
    assert csv_table.default_target("cifar10") == "cifar10/accuracy/test/200"


def test_suite_zero_nb301(real_data_dir):
    table = load_table("suite-zero-nb301", real_data_dir)
    assert table.space == "darts"
    assert len(table) == 725
    assert table.targets() == ["cifar10/accuracy/valid/100"]
    assert table.reference_scores.groupby("proxy").size().eq(725).all()
    assert table.reference_scores["seconds"].notna().all()


def test_suite_zero_nb101_merges_keys_nb101_treats_as_one_architecture(real_data_dir):
    raw = json.loads((real_data_dir / "suite_zero/zc_nasbench101.json").read_text())
    records = raw["nasbench101"]["cifar10"]
    assert len(records) == 500
    table = load_table("suite-zero-nb101", real_data_dir)
    first = load_table("suite-zero-nb101", real_data_dir, duplicates="first")
    assert table.targets() == ["cifar10/accuracy/valid/108"]
    # 500 records, 292 distinct NAS-Bench-101 architectures (pruned, isomorphism-free)
    assert len(table) == len(first) == 292
    assert "500 records, 292 architectures" in table.notes[0]
    assert table.reference_scores["seconds"].isna().all()
    assert table.reference_scores.groupby("proxy").size().eq(292).all()
    # the mean of the merged records' val_accuracy, recomputed from the raw file
    from harness.spaces import get_space

    space = get_space("nb101")
    groups: dict[str, list[float]] = {}
    for key, record in records.items():
        groups.setdefault(space.key_from_naslib(key), []).append(record["val_accuracy"])
    for key, values in groups.items():
        assert table.frame.loc[key].iloc[0] == pytest.approx(sum(values) / len(values))
        assert first.frame.loc[key].iloc[0] == values[0]
    assert not math.isnan(table.frame.iloc[:, 0].sum())
