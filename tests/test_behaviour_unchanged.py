"""Behaviour unchanged across a restructuring: the same small configuration of `run`,
`leaderboard`, `search`, `distill --smoke` and `compare`, run by the code at BASELINE
(extracted from git) and by the working tree, in the same environment, gives the same
results documents, scores, leaderboards, printed tables and figures, bit for bit.

Only what cannot repeat is masked before comparing: run ids, creation times, the git
revision, the machine, and timings (wall/CPU seconds, s/arch). Both sides run on this
machine, so torch and numpy take the same code paths: nothing is compared against
numbers made elsewhere.

BASELINE was the commit before issue 16's restructuring; issue 26 moved it to the commit
that made distill's rows carry every figure of the figure list (n_used, top1_percentile),
on top of the code issue 26 restructured. Issue 24 moved it to the commit that made input
source `auto` the default and had every leaderboard say which images it scored: the scores
are unchanged (`auto` finds no CIFAR-10 here and reads the same Fashion-MNIST batch), but
configs record `input.source = "auto"` (so distill's checkpoint names, hashed from its
config, change), run documents gain `resolved.images`, and leaderboards gain an
`Images:` line and, off the target's images, a title note. Issue 22 moved it to the commit
that adds the nDCG@10% figure (its entries in every row and summary, its leaderboard,
report and merged leaderboard columns): before the move, every output of these commands
differed from the previous BASELINE's only in nDCG entries and columns (τ, ρ and their
intervals bit for bit). Both changes were made on branches; BASELINE then moved to the
merge that joined them, and then to the commit that made `compare` fail when a proxy of
the base is missing from the new run (issue 27: the `compare` case here lacks two proxies,
so its verdict and exit status changed; every other output is unchanged). A change that
is meant to move results (a proxy's new version, a new column)
moves BASELINE to the commit that makes it, and says so in its commit message.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

BASELINE = "adb918dc97ce2c7e84b48b8ea8c264c1ad96b066"
REPO = Path(__file__).resolve().parents[1]

# One configuration per command; small, but every room is crossed: sampling, scoring under
# two seeds, the store, the correlation engine, leaderboard merge, search with a proxy
# estimator, the distillation smoke run and the regression gate.
COMMANDS: list[tuple[str, list[str]]] = [
    ("run", ["run", "--archs", "6", "--proxies", "params,synflow,nwot,jacov", "--seeds", "2",
             "--executor", "serial", "--no-progress", "--set", "store=scores.sqlite",
             "--out", "run"]),
    ("run2", ["run", "--archs", "6", "--proxies", "params,synflow", "--seed", "1",
              "--executor", "serial", "--no-progress", "--set", "store=scores.sqlite",
              "--out", "run2"]),
    ("leaderboard", ["leaderboard", "--results", "run/results.json", "run2/results.json",
                     "--out", "leaderboard"]),
    ("search", ["search", "--budget", "8", "--seeds", "1", "--strategies",
                "relativenas,rea,random", "--estimators", "oracle,noisy:0.5,proxy:params",
                "--set", "pairwise.pool_archs=20", "--set", "pairwise.pairs=200",
                "--no-progress", "--out", "search"]),
    ("distill", ["distill", "--smoke", "--no-progress", "--out", "distill"]),
    ("compare", ["compare", "run/results.json", "run2/results.json", "--out", "compare"]),
    # issue 26: the figure list, the failure policy and the report tables
    ("report", ["report", "run/results.json", "run2/results.json", "distill",
                "--failures", "common", "--resamples", "50", "--out", "report"]),
    ("leaderboard-drop", ["leaderboard", "--results", "run/results.json", "--failures", "drop",
                          "--out", "leaderboard-drop"]),
    # issue 26: a table's shipped scores with the dataset and target the table declares,
    # and combine's tables and learning curves read from the figure list
    ("leaderboard-table", ["leaderboard", "--table", "suite-zero-nb201", "--resamples", "50",
                           "--out", "leaderboard-table"]),
    ("combine", ["combine", str(REPO / "benchmarks" / "combine_suite_zero.toml"), "--ks",
                 "10,50", "--splits", "3", "--models", "ridge,logistic", "--transfer",
                 "cifar100", "--no-progress", "--out", "combine"]),
]  # fmt: skip

_VOLATILE_KEYS = {"run_id", "created", "git_revision", "machine"}
_TIMING_KEY = re.compile(r"second|wall|elapsed|duration", re.IGNORECASE)
_TIMING_HEADER = re.compile(
    r"^\s*(s|s/arch|seconds?\w*|wall\w*|cpu\w*|time\w*|\w*_seconds\w*)\s*$", re.IGNORECASE
)
_TIMING_VALUE = re.compile(
    r'(\b\w*(?:seconds|wall|elapsed|duration)\w*(?:"|&quot;|&#34;)?\s*[:=]\s*)-?[\d.]+'
)
#: Table headers of volatile values (a report's provenance table).
_VOLATILE_HEADERS = _VOLATILE_KEYS | {"git", "git revision", "run id"}
_TIMING_TEXT = re.compile(r"\b\d+(\.\d+)?\s?(s|ms|min)\b( wall| CPU)?")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?")
_GIT = re.compile(r"\bgit ([0-9a-f]{7,40}|unknown)(-dirty)?\b")
_RUN_ID = re.compile(r"\b(run|search|distill|leaderboard|compare|combine)-[\w.-]*\d{8}T\d{6}\w*")


def _mask_json(value: object) -> object:
    if isinstance(value, dict):
        return {
            key: ("«masked»" if key in _VOLATILE_KEYS or _TIMING_KEY.search(key) else
                  _mask_json(item))
            for key, item in value.items()
        }  # fmt: skip
    if isinstance(value, list):
        return [_mask_json(item) for item in value]
    if isinstance(value, str):
        return _mask_text(value)
    return value


def _mask_text(text: str, root: Path | None = None) -> str:
    if root is not None:
        text = text.replace(str(root), "«root»")
    text = _TIMESTAMP.sub("«timestamp»", text)
    text = _GIT.sub("git «revision»", _RUN_ID.sub("«run-id»", text))
    return _TIMING_TEXT.sub("«time»", text)


def _mask_table_rows(rows: list[list[str]]) -> list[list[str]]:
    """Blank the columns whose header names a timing or a volatile key (markdown and CSV
    tables alike), and timings written as `name=value` / `"name": value` inside a cell
    (a report's provenance and figure captions)."""
    if not rows:
        return rows
    timing = {i for i, cell in enumerate(rows[0]) if _TIMING_HEADER.match(cell)}
    volatile = {i for i, cell in enumerate(rows[0]) if cell.strip() in _VOLATILE_HEADERS}
    masked = [
        [
            "«time»" if i in timing else "«masked»" if i in volatile and j else
            _TIMING_VALUE.sub(r"\1«time»", cell)
            for i, cell in enumerate(row)
        ]
        for j, row in enumerate(rows)
    ]  # fmt: skip
    # a key-value table (`| git revision | abc… |`): the value of a volatile key
    for row in masked:
        keys = [i for i, cell in enumerate(row) if cell.strip()]
        if keys and row[keys[0]].strip() in _VOLATILE_HEADERS:
            row[keys[0] + 1 :] = ["«masked»"] * (len(row) - keys[0] - 1)
    return masked


def _normalise_markdown(text: str) -> str:
    out: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        out.extend("|".join(row) for row in _mask_table_rows(table))
        table.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            table.append(line.split("|"))
            continue
        flush()
        out.append(_TIMING_VALUE.sub(r"\1«time»", line))
    flush()
    return "\n".join(out)


def _html_as_markdown(html: str) -> str:
    """One `|cell|cell` line per table row, the other tags dropped (for the masking)."""

    def row(match: re.Match) -> str:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", match.group(1), flags=re.DOTALL)
        return "\n|" + "|".join(cells)

    rows = re.sub(r"<tr[^>]*>(.*?)</tr>", row, html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", "", rows)


def normalise(path: Path, root: Path) -> object:
    """What of an output file must repeat exactly."""
    if path.suffix == ".json":
        return _mask_json(json.loads(_mask_text(path.read_text(), root)))
    if path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(_mask_text(path.read_text(), root))))
        return _mask_table_rows(rows)
    if path.suffix in (".md", ".txt", ".log"):
        return _normalise_markdown(_mask_text(path.read_text(), root))
    if path.suffix == ".html":
        return _normalise_markdown(_html_as_markdown(_mask_text(path.read_text(), root)))
    if path.suffix == ".sqlite":
        return _store_scores(path)
    return path.read_bytes()  # figures: PNG bytes


def _store_scores(path: Path) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(path) as connection:
        return sorted(
            connection.execute(
                "SELECT space, arch, dataset, proxy, proxy_version, seed, input_hash, "
                "batch_size, network_variant, score, status, error FROM scores"
            ).fetchall(),
            key=repr,
        )


def run_all(code: Path, workdir: Path, data_dir: Path) -> dict[str, object]:
    """Run COMMANDS with the harness at `code`; return every output, normalised."""
    workdir.mkdir(parents=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "HARNESS_DATA": os.environ.get("HARNESS_DATA", str(data_dir)),
        "OMP_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
    }
    where = subprocess.run(
        [sys.executable, "-c", "import harness; print(harness.__file__)"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).resolve().is_relative_to(code.resolve()), f"{where} is not under {code}"
    outputs: dict[str, object] = {}
    for name, args in COMMANDS:
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli", *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode in (0, 1), f"{code}: {name} failed:\n{done.stderr[-3000:]}"
        outputs[f"{name}: exit"] = done.returncode
        outputs[f"{name}: stdout"] = _normalise_markdown(_mask_text(done.stdout, workdir))
    for path in sorted(workdir.rglob("*")):
        # Skipped: SQLite's journal files, distill's resume checkpoints (they hold the
        # elapsed time; what is computed from them is in the compared documents), and the
        # report's quality-vs-cost plots (their x axis is a timing).
        skipped = ("-wal", "-shm", ".pt", "-vs-cost.png", "-vs-cost.svg")
        if path.is_file() and not path.name.endswith(skipped):
            outputs[str(path.relative_to(workdir))] = normalise(path, workdir)
    return outputs


def _extract_baseline(target: Path) -> Path:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("no git checkout: the baseline code cannot be extracted")
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", BASELINE],
        capture_output=True,
    )
    if archive.returncode != 0:
        pytest.skip(f"baseline {BASELINE[:12]} is not in this clone's history")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, real_data_dir: Path):
    root = tmp_path_factory.mktemp("behaviour")
    baseline = _extract_baseline(root / "baseline-code")
    # The two sides side by side (each command is one single-threaded process).
    with ThreadPoolExecutor(max_workers=2) as pool:
        before = pool.submit(run_all, baseline, root / "baseline", real_data_dir)
        after = pool.submit(run_all, REPO, root / "current", real_data_dir)
        return before.result(), after.result()


def test_same_outputs_are_written(both) -> None:
    baseline, current = both
    assert sorted(current) == sorted(baseline)


@pytest.mark.parametrize("name", [name for name, _ in COMMANDS])
def test_each_command_gives_identical_results(both, name: str) -> None:
    baseline, current = both
    keys = [key for key in baseline if key.split(":")[0].split("/")[0] == name]
    assert keys, f"nothing recorded for {name}"
    for key in keys:
        assert current.get(key) == baseline[key], f"{key} differs from {BASELINE[:12]}"


def test_masking_keeps_scores_and_drops_only_timings(tmp_path: Path) -> None:
    """The normaliser must not hide a changed score: only timing columns are blanked."""
    table = "| proxy | τ | s/arch |\n|---|---|---:|\n| synflow | 0.357 | 0.106 |\n"
    moved = table.replace("0.357", "0.358")
    retimed = table.replace("0.106", "0.211")
    assert _normalise_markdown(table) != _normalise_markdown(moved)
    assert _normalise_markdown(table) == _normalise_markdown(retimed)
    search = "| calls | stalled | s |\n|---|---|---|\n| 8.0 | 0 | 0.7 |\n"  # harness search's
    assert _normalise_markdown(search) == _normalise_markdown(search.replace("0.7", "0.4"))
    assert _normalise_markdown(search) != _normalise_markdown(search.replace("8.0", "9.0"))
    document = {"rows": [{"kendall": 0.5, "seconds_per_arch": 1.0}], "created": "x"}
    changed = {"rows": [{"kendall": 0.6, "seconds_per_arch": 1.0}], "created": "x"}
    assert _mask_json(document) != _mask_json(changed)
    assert _mask_json(document) == _mask_json(
        {"rows": [{"kendall": 0.5, "seconds_per_arch": 9.0}], "created": "y"}
    )
    provenance = [["doc", "git_revision", "config"], ["D1", "a969d41", "seed=0, wall_seconds=9.1"]]
    assert _mask_table_rows(provenance) == _mask_table_rows(
        [["doc", "git_revision", "config"], ["D1", "", "seed=0, wall_seconds=2.5"]]
    )
    assert _mask_table_rows(provenance) != _mask_table_rows(
        [["doc", "git_revision", "config"], ["D1", "a969d41", "seed=1, wall_seconds=9.1"]]
    )
