"""`harness ablate`: grid files, their expansion into run configs, and the document."""

from __future__ import annotations

import json

import pytest

from harness.ablation import expand_grid, read_grid, run_ablation, settings_of, toml_literal
from harness.cli import main
from harness.errors import ConfigError
from harness.results import PerArchValues, ResultRow, ResultsDocument

ABLATION = """
[run]
archs = 6
proxies = ["params", "flops"]
store = "{store}"
bootstrap_resamples = 50
executor = "serial"
[input]
source = "synthetic"
[grid]
"input.batch_size" = [4, 8]
seed = [0, 1, 2]
"""


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "ablation.toml"
    path.write_text(ABLATION.format(store=tmp_path / "store.sqlite"))
    return path


def test_expand_grid_first_key_slowest():
    grid = {"a": [1, 2], "b": ["x", "y", "z"]}
    points = expand_grid(grid)
    assert len(points) == 6
    assert points[:4] == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 1, "b": "z"},
        {"a": 2, "b": "x"},
    ]
    assert expand_grid({"a": [1]}) == [{"a": 1}]


def test_settings_are_full_run_configs(config_file):
    base, grid, settings = settings_of(config_file)
    assert grid == {"input.batch_size": [4, 8], "seed": [0, 1, 2]}
    assert [(s.config.input.batch_size, s.config.seed) for s in settings] == [
        (4, 0), (4, 1), (4, 2), (8, 0), (8, 1), (8, 2),
    ]  # fmt: skip
    assert all(s.config.input.source == "synthetic" and s.config.archs == 6 for s in settings)
    assert base.input.batch_size == 64  # the base keeps its own (default) value
    _, _, overridden = settings_of(config_file, ["archs=3", "input.batch_size=99"])
    assert {s.config.archs for s in overridden} == {3}
    assert {s.config.input.batch_size for s in overridden} == {4, 8}  # the grid wins


def test_nested_grid_tables_mean_dotted_keys(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text('[run]\narchs = 2\n[grid.input]\nsource = ["synthetic", "fashion-mnist"]\n')
    assert read_grid(path) == {"input.source": ["synthetic", "fashion-mnist"]}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[grid]\narchs = [1, 2]\n", "[run]"),
        ("[run]\narchs = 2\n", "[grid]"),
        ("[run]\n[grid]\narchs = 3\n", "'archs'"),
        ("[run]\n[grid]\narchs = []\n", "'archs'"),
        ("[run]\n[grid]\narchs = [2, 2]\n", "repeats"),
        ("[run]\n[grid]\narchz = [1, 2]\n", "archz"),
        ('[run]\n[grid]\n"input.batch_size" = ["big"]\n', "input.batch_size"),
        ("[run\n", "invalid TOML"),
    ],
)
def test_bad_grids_fail_before_running(tmp_path, text, needle):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        settings_of(path)
    assert needle in str(caught.value)


def test_toml_literal_round_trips():
    import tomllib

    for value in (3, 0.5, True, "fashion-mnist", 'quote"d', ["a", "b"]):
        assert tomllib.loads(f"v = {toml_literal(value)}")["v"] == value


def _fake_runner(calls):
    def run(config, run_id):
        calls.append((config.input.batch_size, config.seed, run_id))
        tau = config.input.batch_size / 10 + config.seed / 100
        row = ResultRow(
            space="nb201", dataset="cifar10", target="t", proxy="params", higher_is_better=True,
            n=3, n_failed=0, kendall=tau, kendall_lo=tau - 0.1, kendall_hi=tau + 0.1,
            spearman=tau, spearman_lo=None, spearman_hi=None, pearson=None,
            extra={"top_k": {"10": 1.0}},
        )  # fmt: skip
        values = PerArchValues("nb201", "cifar10", "t", ["a", "b", "c"], [1.0, 2.0, 3.0],
                               {"params": [1.0, 2.0, float(config.seed)]})  # fmt: skip
        doc = ResultsDocument(
            kind="run", run_id=run_id, config={"resolved": {"input_source": "synthetic"}},
            versions={"harness": "x"}, git_revision="abc", data_files={"f": "1"},
            seed=config.seed, rows=[row], per_arch=[values], notes=["table note"],
        )  # fmt: skip
        return doc, 3, 0

    return run


def test_run_ablation_gathers_one_document(config_file):
    calls = []
    doc = run_ablation(config_file, _fake_runner(calls), run_id="abl")
    assert [c[:2] for c in calls] == [(4, 0), (4, 1), (4, 2), (8, 0), (8, 1), (8, 2)]
    assert [c[2] for c in calls] == [f"abl-s{i}" for i in range(6)]
    assert doc.kind == "ablation" and len(doc.rows) == 6 and len(doc.per_arch) == 6
    for index, row in enumerate(doc.rows):
        assert row.extra["setting"] == index
        assert row.extra["ablation"] == doc.config["settings"][index]["values"]
        assert doc.per_arch[index].scores["params"][2] == row.extra["ablation"]["seed"]
        assert row.extra["top_k"] == {"10": 1.0}  # the run's own figures are kept
    assert doc.config["grid"] == {"input.batch_size": [4, 8], "seed": [0, 1, 2]}
    assert doc.notes == ["table note"]
    assert json.loads(json.dumps(doc.to_dict()))["kind"] == "ablation"


def test_dry_run_lists_settings(config_file, capsys):
    assert main(["ablate", str(config_file), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "setting 0: batch_size=4 · seed=0" in printed
    assert "6 settings of 6 architectures" in printed


def test_bad_config_is_one_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text("[run]\n[grid]\narchz = [1, 2]\n")
    assert main(["ablate", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "archz" in err


def test_ablate_end_to_end(real_data_dir, tmp_path, capsys):
    path = tmp_path / "small.toml"
    path.write_text(
        ABLATION.format(store=tmp_path / "store.sqlite").replace("seed = [0, 1, 2]", "")
    )
    out = tmp_path / "out"
    args = ["ablate", str(path), "--data-dir", str(real_data_dir), "--out", str(out)]
    assert main(args + ["--no-progress", "--resamples", "50", "--archs", "5"]) == 0
    doc = ResultsDocument.read(out / "results.json")
    assert doc.kind == "ablation" and len(doc.per_arch) == 2
    assert {r.extra["ablation"]["input.batch_size"] for r in doc.rows} == {4, 8}
    assert all(len(v.archs) == 5 for v in doc.per_arch)
    assert doc.per_arch[0].archs == doc.per_arch[1].archs  # same sample: paired comparisons
    # params and flops do not look at the images: batch size cannot change them
    params = [r for r in doc.rows if r.proxy == "params"]
    assert params[0].kendall == params[1].kendall
    assert (out / "report.md").is_file() and (
        out / "figures" / "D1-ablation-input_batch_size.png"
    ).is_file()
    assert doc.config["settings"][1]["reused_archs"] == 0


def test_sample_seed_keeps_the_architectures_while_seed_varies(real_data_dir, tmp_path):
    path = tmp_path / "seeds.toml"
    path.write_text(
        ABLATION.format(store=tmp_path / "store.sqlite")
        .replace('"input.batch_size" = [4, 8]\n', "")
        .replace("archs = 6", "archs = 4\nsample_seed = 0")
        .replace('proxies = ["params", "flops"]', 'proxies = ["params"]')
    )
    out = tmp_path / "out"
    args = ["ablate", str(path), "--data-dir", str(real_data_dir), "--out", str(out)]
    assert main(args + ["--no-progress", "--resamples", "20"]) == 0
    doc = ResultsDocument.read(out / "results.json")
    assert [s["config"]["seed"] for s in doc.config["settings"]] == [0, 1, 2]
    assert doc.per_arch[0].archs == doc.per_arch[1].archs == doc.per_arch[2].archs
    # without sample_seed each seed draws its own sample
    free = tmp_path / "free.toml"
    free.write_text(path.read_text().replace("sample_seed = 0", ""))
    assert main(["ablate", str(free), "--data-dir", str(real_data_dir), "--out",
                 str(tmp_path / "free"), "--no-progress", "--resamples", "20"]) == 0  # fmt: skip
    samples = ResultsDocument.read(tmp_path / "free" / "results.json").per_arch
    assert samples[0].archs != samples[1].archs
