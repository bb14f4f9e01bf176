"""The score store: round trips, write-once semantics, resume, export, crashes, concurrency."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.errors import ConfigError, DataError, UnknownNameError
from harness.store import COLUMNS, SCHEMA_VERSION, ScoreKey, ScoreRecord, ScoreStore

REPO = Path(__file__).resolve().parent.parent
WRITER = Path(__file__).resolve().parent / "_store_writer.py"

_spec = importlib.util.spec_from_file_location("_store_writer", WRITER)
writer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(writer)


def make_key(i: int = 0, **changes) -> ScoreKey:
    key = ScoreKey(
        space="nb201",
        arch=f"|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|conv_{i}~2|",
        dataset="cifar10",
        proxy="synflow",
        proxy_version="2",
        seed=7,
        input_hash="f00d",
        batch_size=64,
        network_variant="nb201",
    )
    return dataclasses.replace(key, **changes)


def make_record(i: int = 0, score: float | None = 1.5, **changes) -> ScoreRecord:
    fields = dict(key=make_key(i), score=score, seconds=0.125, device="cpu", input_source="cifar10")
    fields.update(changes)
    return ScoreRecord(**fields)


@pytest.fixture
def store(tmp_path: Path):
    with ScoreStore(tmp_path / "scores.sqlite") as opened:
        yield opened


def one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


# -- records ------------------------------------------------------------------------------


def test_nan_and_inf_scores_become_null_with_status_nan_and_the_value_as_text():
    for raw, text in [(float("nan"), "nan"), (float("inf"), "inf"), (-math.inf, "-inf")]:
        record = make_record(score=raw)
        assert (record.score, record.status, record.error) == (None, "nan", text)
    numpy_nan = make_record(score=np.float32("nan"))
    assert (numpy_nan.score, numpy_nan.status) == (None, "nan")
    assert make_record(score=np.float64(2.5)).score == 2.5


def test_records_refuse_inconsistent_status():
    with pytest.raises(ValueError, match="finite score"):
        make_record(score=None)
    with pytest.raises(ValueError, match="cannot carry a score"):
        make_record(score=1.0, status="error", error="boom")
    with pytest.raises(ValueError, match="needs its reason"):
        make_record(score=None, status="error")
    with pytest.raises(ValueError, match="status must be one of"):
        make_record(status="fine")
    with pytest.raises(ValueError, match="seconds"):
        make_record(seconds=-1.0)


def test_keys_refuse_bad_fields():
    with pytest.raises(ValueError, match="arch"):
        make_key(arch="")
    with pytest.raises(TypeError):
        make_key(seed=True)
    with pytest.raises(ValueError, match="64-bit"):
        make_key(seed=2**64 - 1)
    assert make_key(seed=np.int64(3)).seed == 3


# -- round trip and write-once ------------------------------------------------------------


def test_round_trip_keeps_every_field_including_null_score_and_error_text(store):
    records = [
        make_record(0, score=-0.0),
        make_record(1, score=1e-300),
        make_record(2, score=float("inf")),
        make_record(
            3, score=None, status="error", error="ValueError: shape, with 'quotes'\nline 2"
        ),
        make_record(4, score=12345.678, device="cuda:1", harness_version="9.9"),
    ]
    assert store.put_many(records) == len(records)
    for record in records:
        assert store.get(record.key) == record
        assert store.has(record.key)
    assert store.get(make_key(99)) is None
    assert not store.has(make_key(99))
    assert [r for r in store.iter_records()] == records
    assert store.count() == len(records)


def test_a_key_is_written_once_and_the_first_record_wins(store):
    first = make_record(0, score=1.0, device="first")
    assert store.put(first) == 1
    assert store.put(make_record(0, score=2.0, device="second")) == 0
    assert store.get(first.key) == first
    batch = [make_record(0, score=3.0), make_record(1), make_record(1, score=9.0), make_record(2)]
    assert store.put_many(batch) == 2  # key 0 present, key 1 twice in the batch
    assert store.get(make_key(1)).score == 1.5
    assert store.count() == 3
    assert store.put_many([]) == 0


def test_every_key_field_distinguishes_records(store):
    base = make_key()
    variants = [
        dataclasses.replace(base, **{name: (value + 1 if isinstance(value, int) else value + "x")})
        for name, value in dataclasses.asdict(base).items()
    ]
    records = [make_record(key=k) for k in [base, *variants]]
    assert store.put_many(records) == len(records)
    assert store.missing([base, *variants]) == []


def test_the_table_is_append_only_even_through_raw_sql(store):
    store.put(make_record(0))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store._conn.execute("UPDATE scores SET score = 0")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store._conn.execute("DELETE FROM scores")
    assert store.get(make_key(0)).score == 1.5


def test_records_survive_reopening(tmp_path):
    path = tmp_path / "scores.sqlite"
    with ScoreStore(path) as first:
        first.put(make_record(0))
    with ScoreStore(path, create=False) as second:
        assert second.get(make_key(0)) == make_record(0, created=second.get(make_key(0)).created)
        assert second._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# -- missing ------------------------------------------------------------------------------


def test_missing_on_ten_thousand_keys_is_quick_and_exact(store):
    keys = [make_key(i) for i in range(10_000)]
    stored = set(range(0, 10_000, 3))
    store.put_many(make_record(i) for i in stored)
    asked = keys + keys[:50]  # duplicates are reported once
    started = time.perf_counter()
    missing = store.missing(asked)
    elapsed = time.perf_counter() - started
    assert missing == [k for i, k in enumerate(keys) if i not in stored]
    assert elapsed < 3.0, f"missing() took {elapsed:.2f}s for 10,000 keys"
    assert store.missing(keys[:0]) == []
    assert store.missing(iter(keys[:3])) == [keys[1], keys[2]]  # and again: temp table reset


# -- records() and export -----------------------------------------------------------------


def filled_store(store: ScoreStore) -> list[ScoreRecord]:
    records = [
        make_record(0, score=0.5),
        make_record(1, score=float("nan")),
        make_record(2, score=None, status="error", error='OOM, "quoted"\nsecond line'),
        make_record(3, score=-2.0, key=make_key(3, proxy="snip", seed=1)),
    ]
    store.put_many(records)
    return records


def test_records_frame_has_every_column_and_filters(store):
    records = filled_store(store)
    frame = store.records()
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 4
    assert frame["score"].isna().tolist() == [False, True, True, False]
    assert frame["status"].tolist() == ["ok", "nan", "error", "ok"]
    assert frame["error"].tolist() == ["", "nan", records[2].error, ""]
    assert frame["seed"].dtype == np.int64 and frame["score"].dtype == np.float64
    assert store.records(proxy="snip")["arch"].tolist() == [records[3].key.arch]
    assert len(store.records(status=["nan", "error"], seed=np.int64(7))) == 2
    assert len(store.records(proxy=[])) == 0
    with pytest.raises(UnknownNameError, match="did you mean proxy"):
        store.records(proxi="snip")


def test_empty_records_frame_keeps_columns_and_dtypes(store):
    frame = store.records()
    assert frame.empty and list(frame.columns) == list(COLUMNS)
    assert frame["batch_size"].dtype == np.int64


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_reads_back_equal(store, tmp_path, suffix):
    filled_store(store)
    target = store.export(tmp_path / "out" / f"scores{suffix}")
    assert target.exists() and not list(target.parent.glob("*.partial"))
    if suffix == ".csv":
        numeric = ("seed", "batch_size", "score", "seconds", "threads")
        text = {c: str for c in COLUMNS if c not in numeric}
        back = pd.read_csv(
            target, dtype=text, keep_default_na=False, na_values={"score": [""], "threads": [""]}
        )
    else:
        back = pd.read_parquet(target)
    pd.testing.assert_frame_equal(back, store.records(), check_dtype=False)
    assert back["score"].isna().sum() == 2


def test_export_filters_and_refuses_unknown_suffix(store, tmp_path):
    filled_store(store)
    only_snip = pd.read_parquet(store.export(tmp_path / "snip.pq", proxy="snip"))
    assert only_snip["proxy"].tolist() == ["snip"]
    with pytest.raises(ConfigError, match="scores.xlsx") as exc:
        store.export(tmp_path / "scores.xlsx")
    one_line(exc)


# -- bad files ----------------------------------------------------------------------------


def test_a_text_file_is_refused_with_one_line_naming_it_and_left_untouched(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("these are not scores\n" * 100)
    with pytest.raises(DataError) as exc:
        ScoreStore(path)
    assert str(path) in one_line(exc)
    assert path.read_text() == "these are not scores\n" * 100


def test_a_truncated_store_is_refused(tmp_path):
    path = tmp_path / "scores.sqlite"
    with ScoreStore(path) as store:
        store.put_many(make_record(i) for i in range(2000))
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\xff" * 4000 + data[4100:8000])
    with pytest.raises(DataError) as exc, ScoreStore(path) as broken:
        broken.records()
    assert str(path) in one_line(exc)


def test_another_sqlite_database_is_refused_and_not_converted(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (x)")
    conn.close()
    with pytest.raises(DataError, match="not a score store") as exc:
        ScoreStore(path)
    assert str(path) in one_line(exc)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_an_unknown_schema_version_is_refused(tmp_path):
    path = tmp_path / "future.sqlite"
    ScoreStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.close()
    with pytest.raises(DataError, match=f"schema version {SCHEMA_VERSION + 1}") as exc:
        ScoreStore(path)
    assert str(path) in one_line(exc)


def _raw(path: Path, *statements: str) -> None:
    """Run SQL on a store behind ScoreStore's back (to make files no harness writes)."""
    conn = sqlite3.connect(path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def test_a_store_without_its_scores_table_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "half.sqlite"
    _raw(
        path,
        "CREATE TABLE schema_version (version INTEGER)",
        "INSERT INTO schema_version VALUES (2)",
    )
    before = path.read_bytes()
    with pytest.raises(DataError, match="no scores table") as exc:
        ScoreStore(path)
    assert str(path) in one_line(exc)
    assert path.read_bytes() == before


def test_a_store_whose_scores_table_has_other_columns_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    _raw(
        path,
        "CREATE TABLE schema_version (version INTEGER)",
        "INSERT INTO schema_version VALUES (2)",
        "CREATE TABLE scores (arch TEXT, score REAL)",
    )
    with pytest.raises(DataError, match="lacks column") as exc:
        ScoreStore(path)
    assert str(path) in one_line(exc)


def test_a_record_no_harness_wrote_is_a_data_error_on_read(tmp_path):
    path = tmp_path / "crafted.sqlite"
    columns = ", ".join(COLUMNS)
    _raw(
        path,
        "CREATE TABLE schema_version (version INTEGER)",
        "INSERT INTO schema_version VALUES (2)",
        f"CREATE TABLE scores ({columns})",  # no types, no checks
        f"INSERT INTO scores VALUES ({', '.join('?' * len(COLUMNS))})".replace("?", "'x'"),
    )
    with ScoreStore(path) as store:
        with pytest.raises(DataError, match="not a valid score store") as exc:
            list(store.iter_records())
        one_line(exc)
        with pytest.raises(DataError, match="not a valid score store"):
            store.records()


def test_a_version_1_store_is_upgraded_in_place_and_keeps_its_records(tmp_path):
    path = tmp_path / "v1.sqlite"
    with ScoreStore(path) as store:
        store.put_many([make_record(0), make_record(1, threads=2)])
    _raw(path, "ALTER TABLE scores DROP COLUMN threads", "UPDATE schema_version SET version = 1")
    with ScoreStore(path) as store:
        records = list(store.iter_records())
        assert [r.key for r in records] == [make_key(0), make_key(1)]
        assert [r.threads for r in records] == [None, None]  # not recorded before version 2
        store.put(make_record(2, threads=1))
        assert store.get(make_key(2)).threads == 1
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()


def test_a_store_locked_past_the_busy_timeout_is_one_line_data_error(tmp_path):
    path = tmp_path / "busy.sqlite"
    ScoreStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer in the middle of a transaction
    try:
        with ScoreStore(path, busy_timeout=0.2) as store:
            with pytest.raises(DataError, match=r"locked for more than 0\.2 s") as exc:
                store.put(make_record(0))
            assert str(path) in one_line(exc)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with ScoreStore(path) as store:
        assert store.count() == 0


def test_folder_and_missing_paths(tmp_path):
    with pytest.raises(DataError, match="folder") as exc:
        ScoreStore(tmp_path)
    one_line(exc)
    with pytest.raises(DataError, match="no such score store"):
        ScoreStore(tmp_path / "absent.sqlite", create=False)
    assert not (tmp_path / "absent.sqlite").exists()
    with ScoreStore(tmp_path / "new" / "deeper" / "scores.sqlite") as created:
        assert created.count() == 0


def test_an_empty_file_becomes_a_store(tmp_path):
    path = tmp_path / "empty.sqlite"
    path.touch()
    with ScoreStore(path) as store:
        assert store.put(make_record()) == 1


# -- processes: SIGKILL mid-write and two writers -----------------------------------------


def start_writer(
    store_path: Path, start: int, stop: int, device: str, *go_file: Path
) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(store_path), str(start), str(stop), device, *go_file],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def finish(process: subprocess.Popen, timeout: float = 60) -> list[str]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return out.splitlines()


def assert_records_exact(store_path: Path, indices: range, device_of) -> None:
    """Every index stored exactly once, with exactly the writer's values."""
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == len(indices)
        distinct = conn.execute("SELECT COUNT(DISTINCT arch) FROM scores").fetchone()[0]
        assert distinct == len(indices)
    conn.close()
    with ScoreStore(store_path) as store:
        for index in indices:
            expected = writer.expected_record(index, device_of(index))
            got = store.get(expected.key)
            assert got == dataclasses.replace(expected, created=got.created), index


def test_a_writer_killed_mid_write_loses_nothing_committed_and_a_rerun_duplicates_nothing(
    tmp_path,
):
    path = tmp_path / "scores.sqlite"
    total = 400
    process = start_writer(path, 0, total, "run1")
    committed = -1
    deadline = time.monotonic() + 30
    for line in process.stdout:  # kill as soon as a few hundred records are committed
        committed = int(line.split()[1])
        if committed >= 100 or time.monotonic() > deadline:
            break
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    for line in process.stdout.read().splitlines():  # commits reported after the one we saw
        committed = int(line.split()[1])
    process.stdout.close()
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL, "the writer finished before it was killed"
    assert 100 <= committed < total - 1

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        survived = conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    conn.close()
    # Everything reported committed is there; at most the one in flight (committed but
    # killed before it could say so) got further.
    assert committed + 1 <= survived <= committed + 2
    assert_records_exact(path, range(survived), lambda i: "run1")

    lines = finish(start_writer(path, 0, total, "run2"))
    assert lines[-1] == f"done {total - survived}"
    assert_records_exact(path, range(total), lambda i: "run1" if i < survived else "run2")


def test_two_processes_writing_overlapping_keys_store_each_key_once(tmp_path):
    path = tmp_path / "shared" / "scores.sqlite"  # both create the store at once
    go = tmp_path / "go"
    # Opposite directions, so the two meet in the overlap 100..199 whatever their speeds.
    first = start_writer(path, 0, 200, "first", go)
    second = start_writer(path, 299, 99, "second", go)
    assert first.stdout.readline() == second.stdout.readline() == "ready\n"
    go.touch()  # both open the new store and start writing at the same moment
    first_lines, second_lines = finish(first), finish(second)
    new_first = int(first_lines[-1].split()[1])
    new_second = int(second_lines[-1].split()[1])
    assert new_first + new_second == 300  # each overlapping key was new to exactly one writer

    writers_of = {}
    for name, lines in [("first", first_lines), ("second", second_lines)]:
        for line in lines[:-1]:
            _, index, new = line.split()
            if new == "1":
                assert int(index) not in writers_of
                writers_of[int(index)] = name
    assert sorted(writers_of) == list(range(300))
    assert_records_exact(path, range(300), writers_of.__getitem__)


def test_a_store_that_cannot_be_created_leaves_nothing(tmp_path, monkeypatch):
    """Issue 27: a full disk while the new store is set up: one line, and no 4 KB stub,
    no -wal/-shm files and no folders made for it are left behind."""
    original = ScoreStore._switch_to_wal

    def full_disk(self):
        original(self)  # the file and its -wal/-shm exist by now
        assert Path(f"{self.path}-wal").exists() or self.path.exists()
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(ScoreStore, "_switch_to_wal", full_disk)
    path = tmp_path / "new" / "deeper" / "scores.sqlite"
    with pytest.raises(DataError, match=r"scores.sqlite: cannot open score store \(database or"):
        ScoreStore(path)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_store_is_never_removed_when_opening_fails(tmp_path, monkeypatch):
    path = tmp_path / "scores.sqlite"
    with ScoreStore(path):
        pass
    before = path.read_bytes()
    monkeypatch.setattr(
        ScoreStore,
        "_switch_to_wal",
        lambda self: (_ for _ in ()).throw(sqlite3.OperationalError("disk I/O error")),
    )
    with pytest.raises(DataError, match="disk I/O error"):
        ScoreStore(path)
    assert path.read_bytes() == before


def test_a_store_path_too_long_is_one_line(tmp_path):
    from harness.errors import FileSystemError

    with pytest.raises(FileSystemError, match=r"characters\): File name too long \(ENAMETOOLONG\)"):
        ScoreStore(tmp_path / ("s" * 10_000))
    assert list(tmp_path.iterdir()) == []
