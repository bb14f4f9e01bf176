"""Fuzzing the readers with damaged real files: a HarnessError or a clean read, never a crash.

Each reader gets real files (the benchmark tables, the shipped configs, a results
document and a score store written by the harness) cut at a random byte and/or with
random bytes flipped. The only acceptable outcomes are a value or a one-line
`HarnessError`; any other exception is a traceback a user would see. The default run
tries a few dozen damaged files per reader on small real inputs; `-m slow` tries
hundreds on the full files.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from harness.config import load_run_config
from harness.errors import HarnessError
from harness.results import ResultsDocument
from harness.store import ScoreKey, ScoreRecord, ScoreStore
from harness.tables import load_table

REPO = Path(__file__).resolve().parent.parent
FAST = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
THOROUGH = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
CSV_NAME = "nb201/nats_tss_test_accuracy.csv"


@st.composite
def damaged(draw, original: bytes) -> bytes:
    """`original` cut at a random byte and/or with up to 8 random bytes changed."""
    data = bytearray(original)
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if data:
        flips = draw(
            st.lists(
                st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)),
                min_size=0 if len(data) < len(original) else 1,
                max_size=8,
                unique_by=lambda flip: flip[0],  # two flips of one byte could cancel out
            )
        )
        for position, mask in flips:
            data[position] ^= mask
    return bytes(data)


def survives(read: Callable[[], object]) -> str:
    """`read()` returns or raises a one-line HarnessError; anything else fails the test.
    What happened: "read" or the error's class."""
    try:
        read()
    except HarnessError as error:
        assert "\n" not in str(error), str(error)
        event(f"refused: {type(error).__name__}")
        return type(error).__name__
    event("read")
    return "read"


def _fuzz(original: bytes, write_and_read: Callable[[Path, bytes], object], fast: bool) -> Counter:
    """Try damaged copies of `original`; how many were read and refused (by error class)."""
    outcomes: Counter = Counter()
    chosen = FAST if fast else THOROUGH

    @chosen
    @given(data=damaged(original))
    def check(data: bytes) -> None:
        with tempfile.TemporaryDirectory() as folder:
            outcomes[survives(lambda: write_and_read(Path(folder), data))] += 1

    check()
    print(f"{sum(outcomes.values())} damaged files: {dict(outcomes)}")  # shown with -s
    assert sum(outcomes.values()) >= chosen.max_examples // 2  # the fuzzing did run
    return outcomes


@pytest.fixture(scope="module")
def real_files(real_data_dir) -> Path:
    return real_data_dir


# -- tables ---------------------------------------------------------------------------------
def _table_reader(name: str, relative: str, **options):
    def write_and_read(folder: Path, data: bytes):
        path = folder / relative
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        return load_table(name, folder, verify=False, **options)

    return write_and_read


TABLES = {
    "suite-zero-nb101": "suite_zero/zc_nasbench101.json",
    "suite-zero-nb301": "suite_zero/zc_nasbench301.json",
    "suite-zero-nb201": "suite_zero/zc_nasbench201.json",
}


def test_suite_zero_reader_survives_damage(real_files):
    original = (real_files / TABLES["suite-zero-nb101"]).read_bytes()
    _fuzz(original, _table_reader("suite-zero-nb101", TABLES["suite-zero-nb101"]), fast=True)


def test_csv_reader_survives_damage(real_files):
    lines = (real_files / CSV_NAME).read_bytes().splitlines(keepends=True)
    original = b"".join(lines[:400])  # the real file's first 399 cells: quick to parse
    _fuzz(original, _table_reader("nb201-csv", CSV_NAME, complete=False), fast=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TABLES))
def test_suite_zero_reader_survives_damage_thoroughly(real_files, name):
    original = (real_files / TABLES[name]).read_bytes()
    _fuzz(original, _table_reader(name, TABLES[name]), fast=False)


@pytest.mark.slow
def test_csv_reader_survives_damage_thoroughly(real_files):
    original = (real_files / CSV_NAME).read_bytes()
    _fuzz(original, _table_reader("nb201-csv", CSV_NAME), fast=False)


# -- configs --------------------------------------------------------------------------------
def _config_reader(load: Callable[[Path], object]):
    def write_and_read(folder: Path, data: bytes):
        path = folder / "config.toml"
        path.write_bytes(data)
        return load(path)

    return write_and_read


def _settings_of(path: Path):
    from harness.ablation import settings_of

    return settings_of(path)


def _search_config(path: Path):
    from harness.search.config import load_search_config

    return load_search_config(path)


def _distill_config(path: Path):
    from harness.distill.config import load_distill_config

    return load_distill_config(path)


CONFIGS = {
    "ablation_batch_and_input.toml": _settings_of,
    "search_nb201_proxies.toml": _search_config,
    "rdnas_cpu.toml": _distill_config,
}


@pytest.mark.parametrize("file", sorted(CONFIGS))
def test_config_readers_survive_damage(file):
    original = (REPO / "benchmarks" / file).read_bytes()
    _fuzz(original, _config_reader(CONFIGS[file]), fast=True)


def test_run_config_reader_survives_damage():
    original = (REPO / "benchmarks" / "ablation_batch_and_input.toml").read_bytes()
    run_part = original.split(b"[grid]")[0]  # a plain run config: [run] and [input]
    _fuzz(run_part, _config_reader(load_run_config), fast=True)


@pytest.mark.slow
@pytest.mark.parametrize("file", sorted(CONFIGS))
def test_config_readers_survive_damage_thoroughly(file):
    original = (REPO / "benchmarks" / file).read_bytes()
    _fuzz(original, _config_reader(CONFIGS[file]), fast=False)


# -- results documents ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def results_file(real_files, tmp_path_factory) -> bytes:
    """A results document as `harness leaderboard` writes it from the real Suite-Zero file."""
    from harness.cli import main

    out = tmp_path_factory.mktemp("leaderboard")
    assert main(["leaderboard", "--data-dir", str(real_files), "--table", "suite-zero-nb101",
                 "--resamples", "20", "--out", str(out), "--format", "csv"]) == 0  # fmt: skip
    return (out / "results.json").read_bytes()


def _read_results(folder: Path, data: bytes):
    path = folder / "results.json"
    path.write_bytes(data)
    return ResultsDocument.read(path)


def _read_and_compare(folder: Path, data: bytes):
    """A damaged document that still reads must also go through the gate and the merge."""
    from harness.report import load_documents
    from harness.report.gate import compare_documents, parse_fail_on
    from harness.report.merge import merge_documents, merged_markdown

    document = _read_results(folder, data)
    (source,) = load_documents([folder / "results.json"])
    compare_documents(source, source, parse_fail_on("kendall:-0.02"), n_resamples=5)
    merged_markdown(merge_documents([source, source], n_resamples=5), [source, source])
    return document


def test_results_reader_survives_damage(results_file):
    _fuzz(results_file, _read_results, fast=True)


@pytest.mark.slow
def test_results_reader_and_gate_survive_damage_thoroughly(results_file):
    _fuzz(results_file, _read_and_compare, fast=False)


# -- score stores ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def store_file(tmp_path_factory) -> bytes:
    """A score store as the harness writes it: records of every status, closed cleanly."""
    path = tmp_path_factory.mktemp("store") / "scores.sqlite"
    with ScoreStore(path) as store:
        records = []
        for i in range(300):
            key = ScoreKey("nb201", f"arch-{i:04d}", "cifar10", ("synflow", "snip")[i % 2],
                           "1", i % 3, "abc123", 64, "as_trained")  # fmt: skip
            status = ("ok", "nan", "error")[i % 3]
            records.append(
                ScoreRecord(key=key, score=float(i) if status == "ok" else None, seconds=0.1 * i,
                            device="cpu", input_source="synthetic", status=status,
                            error="" if status == "ok" else f"{status} at {i}", threads=1)
            )  # fmt: skip
        store.put_many(records)
    return path.read_bytes()


def _read_store(folder: Path, data: bytes):
    path = folder / "scores.sqlite"
    path.write_bytes(data)
    with ScoreStore(path, create=False, busy_timeout=1.0) as store:
        store.count()
        list(store.iter_records())
        store.records(status="ok")
        probe = ScoreKey("nb201", "arch-0001", "cifar10", "snip", "1", 1, "abc123", 64,
                         "as_trained")  # fmt: skip
        store.get(probe)
        store.missing([probe])


def test_store_reader_survives_damage(store_file):
    _fuzz(store_file, _read_store, fast=True)


@pytest.mark.slow
def test_store_reader_survives_damage_thoroughly(store_file):
    _fuzz(store_file, _read_store, fast=False)


def test_damaged_files_are_really_damaged():
    """The strategy changes the bytes (else the fuzzing would prove nothing)."""
    original = b"0123456789" * 10

    @FAST
    @given(data=damaged(original))
    def check(data: bytes) -> None:
        assert data != original

    check()
