"""Every bad input, through the command line in a subprocess (issue 17).

Each case runs `python -m harness.cli ...` in an empty working folder and checks what a
user (or CI) sees: exit status 2 (1 only for a gate regression), exactly one line on
stderr that starts `harness: error:`, no traceback, nothing on stdout, no output folder
or file left behind (`--out` and the working folder stay as they were) and every score
store of the workspace byte-for-byte unchanged.

The full list runs with `-m slow`; the cases marked `fast` (one or more per kind of bad
input) run by default.
"""

from __future__ import annotations

import bz2
import hashlib
import importlib.util
import json
import os
import pickle
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from harness.store import ScoreKey, ScoreRecord, ScoreStore

REPO = Path(__file__).resolve().parents[2]
_HELPER = REPO / "tests" / "report" / "report_documents.py"
_spec = importlib.util.spec_from_file_location("report_documents_for_bad_input", _HELPER)
docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docs)

NATS_DIR = "nb201/NATS-tss-v1_0-3ffb9-simple"
CSV_NAME = "nb201/nats_tss_test_accuracy.csv"
SZ_NAME = "suite_zero/zc_nasbench201.json"


@dataclass(frozen=True)
class Case:
    """One bad input: the arguments (`{name}` = a workspace path) and what must happen."""

    id: str
    argv: tuple[str, ...]
    #: a piece of the one stderr line (exit 2), or of stdout (exit 1 / 0)
    says: str
    exit: int = 2
    fast: bool = False
    #: needs the real benchmark files (HARNESS_DATA or ../shared/data)
    data: bool = False
    #: add `--out {out}` (and check nothing arrives there)
    out: bool = True
    skip_if_cuda: bool = False
    #: a file the command must not create (code a crafted data file would run)
    never: tuple[str, ...] = field(default=())
    #: environment variables (values may name workspace paths)
    env: tuple[tuple[str, str], ...] = field(default=())
    skip_if_dask: bool = False


# A run that stops early: few archs, one cheap proxy, a synthetic batch, the workspace store.
RUN = (
    "run", "--archs", "2", "--proxies", "params", "--executor", "serial", "--no-progress",
    "--set", 'input.source="synthetic"', "--set", "input.batch_size=4",
    "--set", 'store="{store}"',
)  # fmt: skip
# Issue 27: faults from outside the harness's own inputs (plugins, the file system, empty
# documents, unbounded values).
FAULT_CASES: list[Case] = [
    Case(
        "run-plugin-sys-exit",
        (*RUN, "--include", "{plugin_exit}"),
        "called sys.exit(0) while loading: a plugin may not end the process",
        fast=True,
    ),  # fmt: skip
    Case(
        "check-plugin-sys-exit",
        ("check", "params", "--include", "{plugin_exit}"),
        "called sys.exit(0) while loading",
        out=False,
    ),  # fmt: skip
    Case(
        "run-data-dir-absent",
        (*RUN, "--data-dir", "{absent}"),
        "the data folder does not exist",
        fast=True,
    ),  # fmt: skip
    Case("run-data-dir-file", (*RUN, "--data-dir", "{blocker}"), "is a file, not a folder"),
    Case(
        "run-harness-data-file",
        RUN,
        "$HARNESS_DATA=",
        env=(("HARNESS_DATA", "{blocker}"),),
        fast=True,
    ),  # fmt: skip
    Case(
        "run-plugins-in-process-value",
        RUN,
        "HARNESS_PLUGINS_IN_PROCESS must be 0 or 1, got 'yes'",
        env=(("HARNESS_PLUGINS_IN_PROCESS", "yes"),),
        fast=True,
    ),  # fmt: skip
    Case(
        "leaderboard-data-dir-absent",
        ("leaderboard", "--data-dir", "{absent}"),
        "the data folder does not exist",
    ),  # fmt: skip
    Case(
        "data-list-absent",
        ("data", "list", "--data-dir", "{absent}"),
        "the data folder does not exist",
        out=False,
        fast=True,
    ),  # fmt: skip
    Case(
        "data-fetch-onto-file",
        ("data", "fetch", "nb201-csv", "--no-progress", "--data-dir", "{blocker}"),
        "the data folder is a file, not a folder",
        out=False,
    ),  # fmt: skip
    Case(
        "data-fetch-under-file",
        ("data", "fetch", "nb201-csv", "--no-progress", "--data-dir", "{blocker}/sub"),
        "is a file, not a folder",
        out=False,
    ),  # fmt: skip
    Case(
        "run-out-name-too-long",
        (*RUN, "--out", "{long_name}"),
        "File name too long (ENAMETOOLONG)",
        out=False,
        fast=True,
    ),  # fmt: skip
    Case(
        "run-store-name-too-long",
        (*RUN, "--set", 'store="{long_store}"'),
        "File name too long (ENAMETOOLONG)",
    ),  # fmt: skip
    Case(
        "compare-new-empty",
        ("compare", "{doc_good}", "{doc_empty}"),
        "has no rows (its run ranked no proxy): an empty document cannot pass the gate",
        exit=1,
        fast=True,
    ),  # fmt: skip
    Case(
        "compare-base-empty",
        ("compare", "{doc_empty}", "{doc_good}"),
        "RESULT: FAIL — the base document",
        exit=1,
    ),  # fmt: skip
    Case(
        "compare-fewer-archs",
        ("compare", "{doc_good}", "{doc_few}", "--resamples", "50"),
        "ranked 30 architectures in the new run against 60 in the base (more than 10% fewer)",
        exit=1,
    ),  # fmt: skip
    Case("report-doc-empty", ("report", "{doc_empty}"), "has no rows", fast=True),
    Case(
        "leaderboard-results-doc-empty",
        ("leaderboard", "--results", "{doc_empty}"),
        "the results document has no rows",
    ),  # fmt: skip
    Case("run-seeds-huge", (*RUN, "--seeds", "100000"), "--seeds must be in 1..1000", fast=True),
    Case(
        "run-set-seeds-too-many",
        (*RUN, "--set", f"seeds=[{','.join(map(str, range(1001)))}]"),
        "more than the limit of 1000",
    ),  # fmt: skip
    Case(
        "run-set-seeds-negative", (*RUN, "--set", "seeds=[1, -2]"), "seeds must be an integer in"
    ),  # fmt: skip
    Case(
        "run-set-resamples-huge",
        (*RUN, "--set", "bootstrap_resamples=1000000000"),
        "bootstrap_resamples must be in 0..100000 (the limit)",
    ),  # fmt: skip
    Case(
        "compare-resamples-huge",
        ("compare", "{doc_good}", "{doc_good}", "--resamples", "1000000000"),
        "n_resamples must be at most 100,000 (the limit)",
    ),  # fmt: skip
    Case(
        "run-include-text",
        (*RUN, "--set", 'include="x.py"'),
        'config value include must be a list, e.g. include = ["x.py"]',
        fast=True,
    ),  # fmt: skip
    Case(
        "run-config-include-text",
        ("run", "{include_text_toml}"),
        "include must be a list",
    ),  # fmt: skip
    Case(
        "run-proxy-timeout-negative",
        (*RUN, "--proxy-timeout", "-1"),
        "proxy_timeout must be a number of seconds >= 0",
    ),  # fmt: skip
    Case(
        "run-proxy-timeouts-text",
        (*RUN, "--set", 'proxy_timeouts.params="soon"'),
        "proxy_timeouts.params must be a number of seconds",
    ),  # fmt: skip
    Case(
        "combine-ks-beyond-archs",
        (
            "combine",
            "--archs",
            "10",
            "--ks",
            "50",
            "--set",
            'input.source="synthetic"',
            "--set",
            'store="{store}"',
        ),
        "every k leaves fewer than min_held_out = 20 of the run's 10 architectures held out; "
        "raise --archs to at least 70",
        fast=True,
    ),  # fmt: skip
    Case(
        "run-dask-absent-no-store",
        (*RUN, "--executor", "dask", "--set", 'store="fresh.sqlite"'),
        "needs Dask distributed",
        skip_if_dask=True,
    ),  # fmt: skip
]

BAD_DOCS = {
    # name: (what the document has wrong, what the error says)
    "kendall_text": ('rows[0].kendall = "high"', "rows[0].kendall must be a finite number or null"),
    "per_arch_short": ("per_arch truth shorter than archs", "per_arch[0].truth has"),
    "per_arch_string": ('per_arch scores = "1,2,3"', "per_arch[0].scores.p must be a list"),
    "config_null": ("config = null", "config must be an object"),
    "extra_null": ("rows[0].extra = null", "rows[0].extra must be an object"),
    "nan_literal": ("NaN in the JSON text", "NaN is not JSON"),
    "truncated": ("the file cut in half", "not a valid results JSON document"),
    "not_json": ("plain text", "not a valid results JSON document"),
    "latin1": ("not UTF-8", "not a valid results JSON document"),
    "schema_99": ("schema_version 99", "results schema version 99"),
    "unknown_field": ("a field the schema lacks", "wobble is not a field of ResultsDocument"),
    "n_negative": ("rows[0].n = -3", "rows[0].n must be >= 0"),
    "kendall_range": ("rows[0].kendall = 3.5", "rows[0].kendall must lie in [-1, 1]"),
    "rows_object": ("rows = {}", "rows must be a list"),
    "top_k_list": ("rows[0].extra.top_k = [1, 2]", "rows[0].extra.top_k must be an object"),
    "missing_run_id": ("no run_id", "run_id is missing"),
}
FAST_DOCS = ("kendall_text", "config_null", "per_arch_short")


def _doc_cases() -> list[Case]:
    cases = []
    for name, (_, says) in BAD_DOCS.items():
        cases.append(Case(f"report-doc-{name}", ("report", f"{{doc_{name}}}"), says,
                          fast=name in FAST_DOCS))  # fmt: skip
    for name in ("kendall_text", "per_arch_string", "config_null", "extra_null", "nan_literal",
                 "truncated", "schema_99"):  # fmt: skip
        says = BAD_DOCS[name][1]
        cases.append(Case(f"compare-doc-{name}", ("compare", "{doc_good}", f"{{doc_{name}}}"),
                          says, fast=name == "extra_null"))  # fmt: skip
        cases.append(Case(f"leaderboard-results-doc-{name}",
                          ("leaderboard", "--results", "{doc_good}", f"{{doc_{name}}}"), says,
                          fast=name == "per_arch_string"))  # fmt: skip
    return cases


CASES: list[Case] = [
    # -- options ----------------------------------------------------------------------------
    Case("unknown-command", ("frobnicate",), "invalid choice", out=False, fast=True),
    Case("run-unknown-flag", (*RUN, "--frob"), "unrecognized arguments"),
    Case("run-archs-text", (*RUN, "--archs", "many"), "invalid int value"),
    Case("tables-format", ("tables", "--format", "xml"), "invalid choice", out=False),
    Case(
        "run-seed-negative",
        (*RUN, "--seed", "-1"),
        "--seed must be an integer in 0..2**63-1",
        fast=True,
    ),  # fmt: skip
    Case("run-seed-text", (*RUN, "--seed", "x"), "invalid seed 'x'"),
    Case(
        "run-set-seed-huge",
        (*RUN, "--set", "seed=99999999999999999999"),
        "seed must be an integer in 0..2**63-1",
    ),  # fmt: skip
    Case(
        "run-set-sample-seed-huge",
        (*RUN, "--set", "sample_seed=99999999999999999999"),
        "sample_seed must be an integer",
    ),  # fmt: skip
    Case("leaderboard-seed-negative", ("leaderboard", "--seed", "-5"), "--seed must be"),
    Case(
        "leaderboard-jackknife-merge",
        ("leaderboard", "--results", "{doc_good}", "--interval", "jackknife"),
        "--interval jackknife ranks a table",
        fast=True,
    ),  # fmt: skip
    Case(
        "search-seeds-overflow",
        ("search", "--set", "seed=9223372036854775807", "--seeds", "2"),
        "seed + seeds - 1",
    ),
    Case("distill-seed-negative", ("distill", "--set", "seed=-3"), "seed must be an integer"),
    Case("bench-archs-zero", ("bench", "--archs", "0"), "archs must be >= 1"),
    Case(
        "compare-alpha",
        ("compare", "{doc_good}", "{doc_good}", "--alpha", "2"),
        "--alpha must lie in (0, 1)",
    ),  # fmt: skip
    Case(
        "compare-fail-on",
        ("compare", "{doc_good}", "{doc_good}", "--fail-on", "kendall:x"),
        "--fail-on threshold 'x' of kendall is not a number",
    ),  # fmt: skip
    Case("report-resamples", ("report", "{doc_good}", "--resamples", "0"), "--resamples"),
    # -- devices ----------------------------------------------------------------------------
    Case(
        "run-device-gpu0", (*RUN, "--device", "gpu0"), "'gpu0' is not a torch device", fast=True
    ),  # fmt: skip
    Case(
        "run-device-cuda", (*RUN, "--device", "cuda"), "CUDA is not available", skip_if_cuda=True
    ),  # fmt: skip
    Case("run-device-cuda7", (*RUN, "--device", "cuda:7"), "'cuda:7'"),
    Case("run-device-mps", (*RUN, "--device", "mps"), "'mps'"),
    Case(
        "bench-device-gpu0", ("bench", "--archs", "1", "--device", "gpu0"), "not a torch device"
    ),  # fmt: skip
    Case(
        "distill-device-cuda",
        ("distill", "--device", "cuda"),
        "CUDA is not available",
        skip_if_cuda=True,
    ),  # fmt: skip
    Case(
        "search-proxy-device",
        ("search", "--estimators", "proxy:synflow", "--device", "gpu0"),
        "proxy.device",
    ),
    Case("ablate-device", ("ablate", "{ablation_ok}", "--device", "gpu0"), "not a torch device"),
    # -- output folders ---------------------------------------------------------------------
    Case(
        "run-out-file",
        (*RUN, "--out", "{blocker}"),
        "is a file, not a folder",
        out=False,
        fast=True,
    ),  # fmt: skip
    Case(
        "run-out-under-file", (*RUN, "--out", "{blocker}/sub"), "is a file, not a folder", out=False
    ),  # fmt: skip
    Case("run-out-proc", (*RUN, "--out", "/proc/harness-out"), "cannot write", out=False),
    Case(
        "report-out-file", ("report", "{doc_good}", "--out", "{blocker}"), "is a file", out=False
    ),  # fmt: skip
    Case(
        "report-out-figures-file",
        ("report", "{doc_good}", "--out", "{out_figures_file}"),
        "figures is a file, not a folder",
        out=False,
        fast=True,
    ),  # fmt: skip
    Case(
        "leaderboard-out-under-file",
        ("leaderboard", "--out", "{blocker}/x"),
        "is a file",
        out=False,
    ),  # fmt: skip
    Case(
        "compare-out-proc",
        ("compare", "{doc_good}", "{doc_good}", "--out", "/proc/harness-out"),
        "cannot write",
        out=False,
        fast=True,
    ),  # fmt: skip
    Case(
        "bench-out-file", ("bench", "--archs", "1", "--out", "{blocker}"), "is a file", out=False
    ),  # fmt: skip
    # -- config files -----------------------------------------------------------------------
    Case("run-config-folder", ("run", "{folder}"), "is a folder, not a config file", fast=True),
    Case("run-config-latin1", ("run", "{latin1_toml}"), "not UTF-8 text"),
    Case("ablate-config-folder", ("ablate", "{folder}"), "is a folder"),
    Case("ablate-config-latin1", ("ablate", "{latin1_toml}"), "not UTF-8 text"),
    Case("distill-config-folder", ("distill", "{folder}"), "is a folder"),
    Case("distill-config-latin1", ("distill", "{latin1_toml}"), "not UTF-8 text"),
    Case("search-config-folder", ("search", "{folder}"), "is a folder"),
    Case("search-config-latin1", ("search", "{latin1_toml}"), "not UTF-8 text"),
    Case("run-config-missing", ("run", "{absent}.toml"), "config file not found"),
    Case("run-config-invalid-toml", ("run", "{invalid_toml}"), "invalid TOML"),
    Case(
        "run-config-inputs-typo",
        ("run", "{inputs_typo_toml}"),
        "unknown top-level config table 'inputs'; did you mean input?",
        fast=True,
    ),  # fmt: skip
    Case("run-config-unknown-key", ("run", "{unknown_key_toml}"), "did you mean archs?"),
    Case("run-config-bad-type", ("run", "{bad_type_toml}"), "archs must be an integer"),
    Case(
        "ablate-config-inputs-typo", ("ablate", "{ablation_typo_toml}"), "did you mean input?"
    ),  # fmt: skip
    Case("search-config-typo", ("search", "{search_typo_toml}"), "did you mean rea?"),
    Case("run-set-malformed", (*RUN, "--set", "archs"), "--set expects key=value"),
    Case("run-set-unknown", (*RUN, "--set", "archz=3"), "did you mean archs?"),
    Case("run-set-table-unknown", (*RUN, "--set", "table=nb999"), "unknown table 'nb999'"),
    Case("run-set-confidence", (*RUN, "--set", "confidence=1.5"), "confidence must lie"),
    Case("run-set-store-timeout", (*RUN, "--set", "store_timeout=0"), "store_timeout"),
    # -- tables -----------------------------------------------------------------------------
    Case(
        "run-table-generic",
        (*RUN, "--set", "table=generic"),
        "table 'generic' needs option(s) path, space, arch_column",
        fast=True,
    ),  # fmt: skip
    Case(
        "leaderboard-table-generic",
        ("leaderboard", "--table", "generic"),
        "which only a run config gives",
        fast=True,
    ),  # fmt: skip
    Case(
        "run-generic-path-type",
        (
            *RUN,
            "--set",
            "table=generic",
            "--set",
            "table_options.path=3",
            "--set",
            "table_options.space=nb201",
            "--set",
            "table_options.arch_column=a",
        ),
        "path must be a file name",
    ),  # fmt: skip
    Case(
        "run-table-option-unknown", (*RUN, "--set", "table_options.pth=x"), "did you mean path?"
    ),  # fmt: skip
    Case(
        "run-bad-truth-option",
        (*RUN, "--set", "table_options.bad_truth=ignore"),
        "bad_truth must be one of error, drop",
    ),  # fmt: skip
    Case(
        "leaderboard-bad-truth-choice", ("leaderboard", "--bad-truth", "ignore"), "invalid choice"
    ),  # fmt: skip
    Case(
        "tables-data-dir-absent",
        ("tables", "--data-dir", "{absent}"),
        "the data folder does not exist",
        out=False,
        fast=True,
    ),  # fmt: skip
    Case(
        "tables-data-dir-file",
        ("tables", "--data-dir", "{blocker}"),
        "the data folder is a file, not a folder",
        out=False,
    ),  # fmt: skip
    Case(
        "leaderboard-nats-crafted",
        ("leaderboard", "--table", "nats-tss", "--data-dir", "{nats_evil}"),
        "--trust-pickle",
        fast=True,
        never=("{marker}",),
    ),  # fmt: skip
    Case(
        "run-nats-crafted",
        (*RUN, "--set", "table=nats-tss", "--data-dir", "{nats_evil}"),
        "--trust-pickle",
        never=("{marker}",),
    ),  # fmt: skip
    Case(
        "leaderboard-nats-trusted-garbage",
        ("leaderboard", "--table", "nats-tss", "--data-dir", "{nats_garbage}", "--trust-pickle"),
        "not a NATS-Bench topology folder",
    ),  # fmt: skip
    Case("leaderboard-target-unknown", ("leaderboard", "--target", "x/y/z"), "x/y/z", data=True),
    Case(
        "leaderboard-dataset-unknown", ("leaderboard", "--dataset", "mnist"), "mnist", data=True
    ),  # fmt: skip
    Case(
        "run-csv-truncated-pinned",
        (*RUN, "--data-dir", "{truncated}"),
        "checksum mismatch",
        data=True,
    ),  # fmt: skip
    Case(
        "run-csv-truncated-no-verify",
        (*RUN, "--data-dir", "{truncated}", "--no-verify"),
        "7,719 rows, but NAS-Bench-201 has 15,625 cells",
        data=True,
        fast=True,
    ),  # fmt: skip
    *[
        Case(
            f"leaderboard-val-accuracy-{name}",
            ("leaderboard", "--data-dir", f"{{sz_{name}}}", "--no-verify"),
            says,
            data=True,
            fast=name == "150",
        )  # fmt: skip
        for name, says in (
            ("150", "is 150, outside [0, 100]"),
            ("minus5", "is -5, outside [0, 100]"),
            ("1e6", "is 1e+06, outside [0, 100]"),
            ("null", "ground truth cifar10-valid/accuracy/valid/200 is missing"),
            ("nan", "ground truth cifar10-valid/accuracy/valid/200 is missing"),
            ("inf", "is not finite (inf)"),
        )
    ],
    # -- score stores -----------------------------------------------------------------------
    Case(
        "run-store-no-scores-table",
        (*RUN, "--set", 'store="{store_no_scores}"'),
        "no scores table",
        data=True,
        fast=True,
    ),  # fmt: skip
    Case(
        "run-store-other-columns",
        (*RUN, "--set", 'store="{store_other_columns}"'),
        "lacks column",
        data=True,
    ),  # fmt: skip
    Case(
        "run-store-text-file",
        (*RUN, "--set", 'store="{store_text}"'),
        "not a valid score store",
        data=True,
    ),  # fmt: skip
    Case("run-store-folder", (*RUN, "--set", 'store="{folder}"'), "is a folder", data=True),
    Case(
        "run-store-future", (*RUN, "--set", 'store="{store_future}"'), "schema version 3", data=True
    ),  # fmt: skip
    Case(
        "run-store-under-file",
        (*RUN, "--set", 'store="{blocker}/s.sqlite"'),
        "cannot make the score store's folder: a file is in its way",
        data=True,
    ),  # fmt: skip
    Case(
        "run-store-locked",
        (*RUN, "--set", 'store="{store_locked}"', "--set", "store_timeout=0.5"),
        "locked for more than 0.5 s",
        data=True,
        fast=True,
    ),  # fmt: skip
    # -- the gate ---------------------------------------------------------------------------
    Case(
        "compare-regression",
        ("compare", "{doc_good}", "{doc_weak}", "--resamples", "200"),
        "RESULT: FAIL",
        exit=1,
        fast=True,
    ),  # fmt: skip
    Case(
        "compare-two-docs-in-a-folder",
        ("compare", "{two_docs}", "{doc_good}"),
        "must be one results document, found 2",
    ),  # fmt: skip
    Case("compare-missing", ("compare", "{absent}.json", "{doc_good}"), "not found"),
    Case("report-empty-folder", ("report", "{folder}"), "no results.json in this folder"),
    *_doc_cases(),
    *FAULT_CASES,
]


def _pbz2(obj: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bz2.compress(pickle.dumps(obj)))


class _TouchOnLoad:
    """Unpickling this creates a file: what a crafted benchmark file could do instead."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def _store(path: Path) -> None:
    key = ScoreKey("nb201", "a", "cifar10", "params", "1", 0, "h", 4, "as_trained")
    with ScoreStore(path) as store:
        store.put(ScoreRecord(key=key, score=1.0, seconds=0.1, device="cpu", input_source="x"))


def _sqlite(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def _bad_documents(ws: Path, good: dict) -> dict[str, Path]:
    def edit(change) -> dict:
        doc = json.loads(json.dumps(good))
        change(doc)
        return doc

    made = {
        "kendall_text": edit(lambda d: d["rows"][0].update(kendall="high")),
        "per_arch_short": edit(lambda d: d["per_arch"][0]["truth"].__delitem__(slice(5, None))),
        "per_arch_string": edit(lambda d: d["per_arch"][0]["scores"].update(p="1,2,3")),
        "config_null": edit(lambda d: d.update(config=None)),
        "extra_null": edit(lambda d: d["rows"][0].update(extra=None)),
        "schema_99": edit(lambda d: d.update(schema_version=99)),
        "unknown_field": edit(lambda d: d.update(wobble=1)),
        "n_negative": edit(lambda d: d["rows"][0].update(n=-3)),
        "kendall_range": edit(lambda d: d["rows"][0].update(kendall=3.5)),
        "rows_object": edit(lambda d: d.update(rows={})),
        "top_k_list": edit(lambda d: d["rows"][0]["extra"].update(top_k=[1, 2])),
        "missing_run_id": edit(lambda d: d.pop("run_id")),
    }  # fmt: skip
    paths = {}
    for name, doc in made.items():
        paths[name] = ws / "docs" / name / "results.json"
        paths[name].parent.mkdir(parents=True)
        paths[name].write_text(json.dumps(doc))
    text = json.dumps(good)
    raw = {
        "nan_literal": text.replace('"kendall": ', '"kendall": NaN, "x": ', 1).encode(),
        "truncated": text[: len(text) // 2].encode(),
        "not_json": b"these are not results\n",
        "latin1": text.replace("run-test", "run-caf\xe9").encode("latin-1"),
    }
    for name, data in raw.items():
        paths[name] = ws / "docs" / name / "results.json"
        paths[name].parent.mkdir(parents=True)
        paths[name].write_bytes(data)
    return paths


def _shared_data_dir() -> Path | None:
    """The real benchmark files, as tests/conftest.py finds them (None when absent)."""
    env = os.environ.get("HARNESS_DATA")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if (candidate / "nb201").is_dir() and (candidate / "suite_zero").is_dir():
            return candidate
    return None


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> dict[str, str]:
    """Every crafted file the cases name, by placeholder."""
    ws = tmp_path_factory.mktemp("bad-inputs")
    paths: dict[str, Path] = {"absent": ws / "absent", "folder": ws / "a_folder"}
    paths["folder"].mkdir()
    paths["blocker"] = ws / "blocker.txt"
    paths["blocker"].write_text("a file where a folder should be\n")
    paths["out_figures_file"] = ws / "out-with-figures-file"
    paths["out_figures_file"].mkdir()
    (paths["out_figures_file"] / "figures").write_text("a file named like the figures folder\n")

    tomls = {
        "latin1_toml": "[run]\narchs = 3\n# caf\xe9\n".encode("latin-1"),
        "invalid_toml": b"[run\narchs = 3\n",
        "inputs_typo_toml": b"[run]\narchs = 3\n[inputs]\nbatch_size = 8\n",
        "unknown_key_toml": b"[run]\narchz = 3\n",
        "bad_type_toml": b'[run]\narchs = "many"\n',
        "ablation_ok": b'[run]\narchs = 2\nproxies = ["params"]\n'
        b'[grid]\n"input.batch_size" = [4, 8]\n',
        "ablation_typo_toml": b'[run]\narchs = 2\n[grid]\n"input.batch_size" = [4, 8]\n'
        b'[inputs]\nsource = "synthetic"\n',
        "search_typo_toml": b"[search]\nbudget = 10\n[reaa]\npopulation = 4\n",
    }  # fmt: skip
    for name, data in tomls.items():
        paths[name] = ws / f"{name}.toml"
        paths[name].write_bytes(data)

    rng = np.random.default_rng(0)
    truth = rng.uniform(70, 95, 60)
    strong = docs.make_document({"p": truth + 2 * rng.standard_normal(60)}, truth)
    weak = docs.make_document({"p": truth + 30 * rng.standard_normal(60)}, truth)
    paths["doc_good"] = strong.write(ws / "docs" / "good" / "results.json")
    paths["doc_weak"] = weak.write(ws / "docs" / "weak" / "results.json")
    for name, path in _bad_documents(ws, strong.to_dict()).items():
        paths[f"doc_{name}"] = path
    paths["doc_empty"] = ws / "docs" / "empty" / "results.json"
    paths["doc_empty"].parent.mkdir(parents=True)
    paths["doc_empty"].write_text(json.dumps({**strong.to_dict(), "rows": [], "per_arch": []}))
    few = docs.make_document({"p": truth[:30] + 2 * rng.standard_normal(30)}, truth[:30])
    paths["doc_few"] = few.write(ws / "docs" / "few" / "results.json")
    paths["plugin_exit"] = ws / "plugins" / "exits.py"
    paths["plugin_exit"].parent.mkdir()
    paths["plugin_exit"].write_text("import sys\n\nsys.exit(0)\n")
    paths["include_text_toml"] = ws / "include_text.toml"
    paths["include_text_toml"].write_text('[run]\ninclude = "x.py"\n')
    paths["long_name"] = ws / ("o" * 300)
    paths["long_store"] = ws / ("s" * 10_000)
    paths["two_docs"] = ws / "docs" / "two"
    strong.write(paths["two_docs"] / "a" / "results.json")
    strong.write(paths["two_docs"] / "b" / "results.json")

    paths["marker"] = ws / "code-ran"
    paths["nats_evil"] = ws / "nats-evil"
    _pbz2({"meta_archs": [_TouchOnLoad(paths["marker"])]},
          paths["nats_evil"] / NATS_DIR / "meta.pickle.pbz2")  # fmt: skip
    paths["nats_garbage"] = ws / "nats-garbage"
    _pbz2([1, 2, 3], paths["nats_garbage"] / NATS_DIR / "meta.pickle.pbz2")

    paths["store"] = ws / "stores" / "scores.sqlite"
    _store(paths["store"])
    paths["store_locked"] = ws / "stores" / "locked.sqlite"
    _store(paths["store_locked"])
    paths["store_no_scores"] = ws / "stores" / "no-scores.sqlite"
    _sqlite(paths["store_no_scores"], "CREATE TABLE schema_version (version INTEGER)",
            "INSERT INTO schema_version VALUES (2)")  # fmt: skip
    paths["store_other_columns"] = ws / "stores" / "other-columns.sqlite"
    _sqlite(
        paths["store_other_columns"],
        "CREATE TABLE schema_version (version INTEGER)",
        "INSERT INTO schema_version VALUES (2)",
        "CREATE TABLE scores (arch, score)",
    )
    paths["store_text"] = ws / "stores" / "text.sqlite"
    paths["store_text"].write_text("not a database\n" * 300)
    paths["store_future"] = ws / "stores" / "future.sqlite"
    _store(paths["store_future"])
    _sqlite(paths["store_future"], "UPDATE schema_version SET version = 3")

    real = _shared_data_dir()
    if real is not None:
        lines = (real / CSV_NAME).read_text().splitlines(keepends=True)
        paths["truncated"] = ws / "truncated"
        (paths["truncated"] / "nb201").mkdir(parents=True)
        (paths["truncated"] / CSV_NAME).write_text("".join(lines[: 1 + 7_719]))
        document = json.loads((real / SZ_NAME).read_text())
        first = next(iter(document["cifar10"]))
        for name, value in (("150", 150.0), ("minus5", -5.0), ("1e6", 1e6), ("null", None),
                            ("nan", float("nan")), ("inf", float("inf"))):  # fmt: skip
            document["cifar10"][first]["val_accuracy"] = value
            paths[f"sz_{name}"] = ws / f"sz-{name}"
            (paths[f"sz_{name}"] / "suite_zero").mkdir(parents=True)
            (paths[f"sz_{name}"] / SZ_NAME).write_text(json.dumps(document))
    return {name: str(path) for name, path in paths.items()}


def _tree(folder: Path) -> dict[str, str]:
    """Every file below `folder` with its sha256 (folders as empty entries)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        found[relative] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    return found


def run_cli(argv: list[str], cwd: Path, env_extra: dict[str, str] | None = None):
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _params(fast_only: bool):
    marks = []
    for case in CASES:
        case_marks = [] if case.fast or not fast_only else [pytest.mark.slow]
        marks.append(pytest.param(case, id=case.id, marks=case_marks))
    return marks


@pytest.mark.parametrize("case", _params(fast_only=True))
def test_bad_input(case: Case, workspace, tmp_path):
    import torch

    real = _shared_data_dir()
    if case.data and real is None:
        pytest.skip("real benchmark files not found (HARNESS_DATA or ../shared/data)")
    if case.skip_if_cuda and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    if case.skip_if_dask and importlib.util.find_spec("distributed") is not None:
        pytest.skip("Dask distributed is installed")
    argv = [a.format(**workspace) for a in case.argv]
    out = tmp_path / "out"
    if case.out and case.exit != 0:
        argv += ["--out", str(out)]
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    ws = Path(workspace["folder"]).parent
    before = _tree(ws)
    env = {"HARNESS_DATA": str(real)} if real is not None else {}
    env.update({name: value.format(**workspace) for name, value in case.env})

    holder = None
    if case.id == "run-store-locked":  # another writer in the middle of a transaction
        holder = sqlite3.connect(workspace["store_locked"], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    try:
        done = run_cli(argv, cwd, env)
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()

    err_lines = done.stderr.splitlines()
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == case.exit, done.stderr
    if case.exit == 2:
        assert len(err_lines) == 1, done.stderr
        assert err_lines[0].startswith("harness: error: "), err_lines[0]
        assert case.says in err_lines[0], err_lines[0]
        assert done.stdout == "", done.stdout
    else:  # the regression: reported on stdout, nothing on stderr
        assert err_lines == [], done.stderr
        assert case.says in done.stdout
    if case.exit == 2:
        assert not out.exists(), sorted(out.rglob("*"))
    assert _tree(cwd) == {}, "something was written in the working folder"
    assert _tree(ws) == before, "a workspace file (a store, a config, a document) changed"
    for path in case.never:
        assert not Path(path.format(**workspace)).exists(), "a data file ran code"


def test_every_case_is_named_once():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert sum(c.fast for c in CASES) >= 20
    assert [c.id for c in CASES if c.exit == 1] == [
        "compare-regression",
        "compare-new-empty",
        "compare-base-empty",
        "compare-fewer-archs",
    ]


def test_dropping_bad_ground_truth_warns_once_and_says_so_in_the_results(workspace, tmp_path):
    """--bad-truth drop: the run goes on, one counted warning per table, kept in the notes."""
    if "sz_150" not in workspace:
        pytest.skip("real benchmark files not found (HARNESS_DATA or ../shared/data)")
    out = tmp_path / "out"
    argv = ["leaderboard", "--data-dir", workspace["sz_150"], "--no-verify", "--bad-truth",
            "drop", "--resamples", "20", "--out", str(out)]  # fmt: skip
    done = run_cli(argv, tmp_path)
    assert done.returncode == 0, done.stderr
    warnings = done.stderr.splitlines()
    assert len(warnings) == 2, done.stderr  # the dropped record, the unverified file
    assert any("dropped 1 record" in w and "is 150, outside [0, 100]" in w for w in warnings)
    assert any("checksum mismatch" in w and "--no-verify" in w for w in warnings)
    notes = json.loads((out / "results.json").read_text())["notes"]
    assert all(w.removeprefix("WARNING: ") in notes for w in warnings)


@pytest.mark.slow
@pytest.mark.parametrize("table", ["suite-zero-nb301", "suite-zero-nb101", "suite-zero-nb201"])
def test_naming_the_table_alone_ranks_against_its_own_target(table, workspace, tmp_path):
    """Each table declares its default target: `--set table=...` needs nothing else."""
    if _shared_data_dir() is None:
        pytest.skip("real benchmark files not found (HARNESS_DATA or ../shared/data)")
    out = tmp_path / "out"
    argv = [*RUN[:-2], "--set", f'store="{tmp_path / "s.sqlite"}"', "--set", f"table={table}",
            "--set", "bootstrap_resamples=10", "--out", str(out)]  # fmt: skip
    done = run_cli(argv, tmp_path, {"HARNESS_DATA": str(_shared_data_dir())})
    assert done.returncode == 0, done.stderr
    from harness.tables import table_info

    resolved = json.loads((out / "results.json").read_text())["config"]["resolved"]["target"]
    assert resolved == table_info(table).default_target
