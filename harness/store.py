"""The score store: one SQLite file of proxy scores, append-only, keyed and resumable.

Scoring an architecture costs seconds to minutes, so every result is written the
moment it exists and a rerun only computes what is missing (`missing(keys)`).
A record is written once: `put` and `put_many` skip keys already present, so a
rerun, a retried task or two workers given the same task never write a key
twice and never overwrite the first result. Triggers make the table
append-only at the database level, not just by convention.

Failures are data: a proxy that raised is stored with status ``'error'`` and its
reason; a NaN or infinite score is stored as a NULL score with status ``'nan'``
and the original value (``'nan'``, ``'inf'``, ``'-inf'``) as its error text, so
nothing downstream fills it in silently.

Durability: the file is in WAL mode with ``synchronous=FULL`` and every `put` /
`put_many` is one transaction. A process killed (even with SIGKILL) mid-write
loses only the transaction it had not committed; the file stays intact.

Threads and processes:

* A `ScoreStore` object owns one sqlite3 connection and must be used only by the
  thread that opened it (sqlite3's own check enforces this). Give each thread
  its own `ScoreStore` on the same path.
* Never hand an open store to another process (fork, pickling): send the path
  and open a `ScoreStore` there. Any number of processes on one machine may
  read and write the same file at once: WAL lets readers run beside the single
  writer, and writers wait for each other up to ``busy_timeout`` seconds.
* WAL needs shared memory between the processes, so the file must be on a
  local disk, not a network file system (NFS, SMB): there, let each worker
  write its own store and merge them with `put_many(other.iter_records())`.
"""

from __future__ import annotations

import contextlib
import math
import operator
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from harness import __version__
from harness.errors import ConfigError, DataError, FileSystemError, UnknownNameError

if TYPE_CHECKING:  # pandas is imported where frames are made: writers start faster without it
    import pandas as pd

#: The schema this module reads and writes; a store of another version is refused, but
#: for the older versions below, upgraded in place when opened.
SCHEMA_VERSION = 2
#: Version -> the statements that bring a store of that version to the next one.
#: Version 2 adds `threads` (torch threads that computed a score; NULL = not recorded).
_UPGRADES: dict[int, tuple[str, ...]] = {1: ("ALTER TABLE scores ADD COLUMN threads INTEGER",)}
#: Columns a version-1 store lacks.
_ADDED_IN_2 = ("threads",)

#: What a record's status may be.
STATUSES = ("ok", "nan", "error")

#: Seconds a writer waits for another process's write transaction to finish.
DEFAULT_BUSY_TIMEOUT = 60.0

_SQLITE_INT_RANGE = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class ScoreKey:
    """What identifies one score: the same key always means the same computation."""

    space: str
    arch: str
    dataset: str
    proxy: str
    proxy_version: str
    seed: int
    input_hash: str
    batch_size: int
    network_variant: str

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("seed", "batch_size"):
                object.__setattr__(self, f.name, _as_sqlite_int(f.name, value))
            elif not isinstance(value, str) or not value:
                raise ValueError(f"ScoreKey.{f.name} must be a non-empty string, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class ScoreRecord:
    """One stored result: its key and what scoring it produced.

    Built from the raw value a proxy returned: a NaN or infinite `score` becomes
    ``score=None, status='nan'`` with the value's text as `error`. Invariants:
    status ``'ok'`` has a finite score; ``'nan'`` and ``'error'`` have no score and
    a non-empty `error` saying why.
    """

    key: ScoreKey
    score: float | None
    seconds: float
    device: str
    input_source: str
    status: str = "ok"
    error: str = ""
    harness_version: str = __version__
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    #: torch threads the score was computed with (None: not recorded, stores before v2);
    #: like `device`, not part of the key (see docs/score-store.md)
    threads: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, ScoreKey):
            raise TypeError(f"ScoreRecord.key must be a ScoreKey, got {type(self.key).__name__}")
        if self.status not in STATUSES:
            raise ValueError(f"ScoreRecord.status must be one of {STATUSES}, got {self.status!r}")
        seconds = float(self.seconds)
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"ScoreRecord.seconds must be finite and >= 0, got {self.seconds!r}")
        object.__setattr__(self, "seconds", seconds)
        if self.score is not None:
            score = float(self.score)
            object.__setattr__(self, "score", score)
            if not math.isfinite(score):
                object.__setattr__(self, "score", None)
                if self.status == "ok":
                    object.__setattr__(self, "status", "nan")
                if not self.error:
                    object.__setattr__(self, "error", repr(score))
        if self.status == "ok" and self.score is None:
            raise ValueError("a ScoreRecord with status 'ok' needs a finite score")
        if self.status != "ok" and self.score is not None:
            raise ValueError(f"a ScoreRecord with status {self.status!r} cannot carry a score")
        if self.status != "ok" and not self.error:
            raise ValueError(f"a ScoreRecord with status {self.status!r} needs its reason in error")
        for name in ("device", "input_source", "error", "harness_version", "created"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"ScoreRecord.{name} must be a string")
        if self.threads is not None and (
            isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1
        ):
            raise ValueError(f"ScoreRecord.threads must be None or >= 1, got {self.threads!r}")


KEY_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ScoreKey))
PAYLOAD_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ScoreRecord) if f.name != "key")
#: The columns of `records()` and `export()`, in order.
COLUMNS: tuple[str, ...] = KEY_COLUMNS + PAYLOAD_COLUMNS

_DTYPES = {
    "seed": "int64",
    "batch_size": "int64",
    "score": "float64",
    "seconds": "float64",
    "threads": "Int64",  # NULL for records written before schema version 2
}

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS scores (
    space TEXT NOT NULL,
    arch TEXT NOT NULL,
    dataset TEXT NOT NULL,
    proxy TEXT NOT NULL,
    proxy_version TEXT NOT NULL,
    seed INTEGER NOT NULL,
    input_hash TEXT NOT NULL,
    batch_size INTEGER NOT NULL,
    network_variant TEXT NOT NULL,
    score REAL,
    seconds REAL NOT NULL,
    device TEXT NOT NULL,
    input_source TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN {STATUSES!r}),
    error TEXT NOT NULL,
    harness_version TEXT NOT NULL,
    created TEXT NOT NULL,
    threads INTEGER,
    CHECK ((status = 'ok') = (score IS NOT NULL)),
    PRIMARY KEY ({", ".join(KEY_COLUMNS)})
);
CREATE TRIGGER IF NOT EXISTS scores_append_only_update BEFORE UPDATE ON scores
BEGIN SELECT RAISE(ABORT, 'the score store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS scores_append_only_delete BEFORE DELETE ON scores
BEGIN SELECT RAISE(ABORT, 'the score store is append-only'); END;
"""

# Two processes may create the same new store at once: the write lock taken by
# BEGIN IMMEDIATE makes one create it and the other find it made.
_CREATE_SCRIPT = f"""
BEGIN IMMEDIATE;
{_SCHEMA}
INSERT INTO schema_version SELECT {SCHEMA_VERSION} WHERE NOT EXISTS (SELECT 1 FROM schema_version);
COMMIT;
"""

# ON CONFLICT DO NOTHING skips only key collisions; unlike INSERT OR IGNORE it does not
# also swallow NOT NULL / CHECK violations, which would lose a record without a word.
_INSERT = (
    f"INSERT INTO scores ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    "ON CONFLICT DO NOTHING"
)
_KEY_MATCH = " AND ".join(f"s.{c} = w.{c}" for c in KEY_COLUMNS)


class ScoreStore:
    """A score store file; open it with ``with ScoreStore(path) as store: ...``.

    `create=False` refuses to make a new file (for readers: a mistyped path then
    fails instead of reading an empty store).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        create: bool = True,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        self.path = Path(path)
        self._busy_timeout = busy_timeout
        try:
            is_dir, exists = self.path.is_dir(), self.path.exists()
        except OSError as exc:  # a name too long, a loop of links
            raise FileSystemError.from_os_error(exc, self.path) from None
        if is_dir:
            raise DataError(f"{self.path}: is a folder, not a score store file")
        made: list[Path] = []  # what this call creates, removed again if opening fails
        if not exists:
            if not create:
                raise DataError(f"{self.path}: no such score store")
            made = [p for p in reversed(self.path.parents) if not p.exists()]
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise DataError(
                    f"{self.path}: cannot make the score store's folder: a file is in its way"
                ) from None
            except OSError as exc:
                raise DataError(
                    f"{self.path}: cannot make the score store's folder ({exc.strerror or exc})"
                ) from None
            made.append(self.path)
        try:
            self._conn = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None)
        except sqlite3.Error as exc:
            _remove_stub(made)
            raise DataError(f"{self.path}: cannot open score store ({exc})") from None
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            self._open_schema()
        except BaseException:
            self._conn.close()
            _remove_stub(made)
            raise

    # -- opening -------------------------------------------------------------------------

    def _open_schema(self) -> None:
        with self._sqlite_errors("open"):
            tables = self._table_names()  # the first read: fails here on a non-database
            if tables:  # nothing about the file changes before it is known to be a store
                self._check_store(tables)
            self._switch_to_wal()
            self._conn.execute("PRAGMA synchronous = FULL")
            if not tables:
                try:
                    self._conn.executescript(_CREATE_SCRIPT)
                except BaseException:
                    self._rollback()
                    raise
            self._upgrade()
            self._check_version()

    def _check_store(self, tables: set[str]) -> None:
        """DataError unless the database holds a score store of a version read here."""
        if "schema_version" not in tables:
            raise DataError(
                f"{self.path}: an SQLite database but not a score store (no schema_version)"
            )
        if "scores" not in tables:
            raise DataError(f"{self.path}: not a valid score store (no scores table)")
        versions = self._versions()
        if len(versions) != 1 or versions[0] not in range(1, SCHEMA_VERSION + 1):
            self._check_version()
        expected = [c for c in COLUMNS if versions[0] >= 2 or c not in _ADDED_IN_2]
        found = [name for (_, name, *_rest) in self._conn.execute("PRAGMA table_info(scores)")]
        missing = [c for c in expected if c not in found]
        if missing:
            raise DataError(
                f"{self.path}: not a valid score store (its scores table lacks column(s) "
                f"{', '.join(missing)})"
            )

    def _versions(self) -> list[object]:
        return [v for (v,) in self._conn.execute("SELECT version FROM schema_version")]

    def _upgrade(self) -> None:
        """Bring an older store to SCHEMA_VERSION in one transaction (once, whoever is first)."""
        if self._versions() == [SCHEMA_VERSION]:
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            versions = self._versions()
            while len(versions) == 1 and versions[0] in _UPGRADES:
                for statement in _UPGRADES[versions[0]]:
                    self._conn.execute(statement)
                self._conn.execute("UPDATE schema_version SET version = version + 1")
                versions = self._versions()
            self._conn.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _switch_to_wal(self) -> None:
        # Changing the journal mode does not wait on SQLite's busy handler, so when
        # several processes open a new store at once, the losers retry here.
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
                continue
            if mode.lower() != "wal":
                raise DataError(f"{self.path}: cannot put the score store in WAL mode ({mode})")
            return

    def _table_names(self) -> set[str]:
        rows = self._conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
        return {name for (name,) in rows}

    def _check_version(self) -> None:
        versions = self._versions()
        if versions != [SCHEMA_VERSION]:
            found = ", ".join(map(str, versions)) or "none"
            raise DataError(
                f"{self.path}: score store schema version {found} is not supported "
                f"(this harness reads version {SCHEMA_VERSION})"
            )

    # -- context management --------------------------------------------------------------

    def close(self) -> None:
        """Close the connection; the store's data is already committed."""
        self._conn.close()

    def __enter__(self) -> ScoreStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ScoreStore({str(self.path)!r})"

    # -- writing -------------------------------------------------------------------------

    def put(self, record: ScoreRecord) -> int:
        """Write one record unless its key is present; 1 if it was new, else 0."""
        return self.put_many([record])

    def put_many(self, records: Iterable[ScoreRecord]) -> int:
        """Write records in one transaction, skipping present keys; how many were new."""
        rows = [_record_row(r) for r in records]
        if not rows:
            return 0
        with self._sqlite_errors("write"):
            before = self._conn.total_changes
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(_INSERT, rows)
                self._conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
            return self._conn.total_changes - before

    # -- reading -------------------------------------------------------------------------

    def has(self, key: ScoreKey) -> bool:
        """Whether a record for `key` is stored."""
        return self.get(key) is not None

    def get(self, key: ScoreKey) -> ScoreRecord | None:
        """The record stored for `key`, or None."""
        where = " AND ".join(f"{c} = ?" for c in KEY_COLUMNS)
        with self._sqlite_errors("read"):
            row = self._conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM scores WHERE {where}", astuple(key)
            ).fetchone()
        return None if row is None else self._record(row)

    def count(self) -> int:
        """How many records are stored (not `__len__`: an empty store is still a store)."""
        with self._sqlite_errors("read"):
            return self._conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0]

    def missing(self, keys: Iterable[ScoreKey]) -> list[ScoreKey]:
        """The keys with no stored record, in the order given, each once.

        One join against a temporary table, so asking about tens of thousands of
        keys costs one query rather than one per key.
        """
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return []
        columns = ", ".join(KEY_COLUMNS)
        with self._sqlite_errors("read"):
            self._conn.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS wanted_keys (position INTEGER PRIMARY KEY, "
                f"{columns})"
            )
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(
                    f"INSERT INTO temp.wanted_keys VALUES (?, {', '.join('?' * len(KEY_COLUMNS))})",
                    ((i, *astuple(k)) for i, k in enumerate(wanted)),
                )
                positions = self._conn.execute(
                    "SELECT w.position FROM temp.wanted_keys AS w WHERE NOT EXISTS "
                    f"(SELECT 1 FROM scores AS s WHERE {_KEY_MATCH}) ORDER BY w.position"
                ).fetchall()
            finally:
                self._conn.execute("DELETE FROM temp.wanted_keys")
                self._conn.execute("COMMIT")
        return [wanted[i] for (i,) in positions]

    def iter_records(self) -> Iterator[ScoreRecord]:
        """Every record, in the order written."""
        with self._sqlite_errors("read"):
            rows = self._conn.execute(f"SELECT {', '.join(COLUMNS)} FROM scores ORDER BY rowid")
            yield from (self._record(row) for row in rows)

    def records(self, **filters: Any) -> pd.DataFrame:
        """Records as a DataFrame (one column per field, see `COLUMNS`), in the order written.

        Each filter names a column and gives a value or a list/tuple/set of values:
        ``store.records(proxy=["synflow", "snip"], status="ok")``. A NULL score
        stays NaN here; the `status` column says why.
        """
        clauses, params = [], []
        for name, value in filters.items():
            if name not in COLUMNS:
                raise UnknownNameError("score store column", name, COLUMNS)
            values = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
            values = [v.item() if hasattr(v, "item") else v for v in values]  # numpy scalars
            if not values:
                clauses.append("0")
                continue
            clauses.append(f"{name} IN ({', '.join('?' * len(values))})")
            params.extend(values)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._sqlite_errors("read"):
            rows = self._conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM scores{where} ORDER BY rowid", params
            ).fetchall()
        # deferred: pulls in pandas
        import pandas as pd

        frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
        try:
            return frame.astype(_DTYPES)
        except (ValueError, TypeError) as exc:
            raise DataError(f"{self.path}: not a valid score store ({exc})") from None

    def export(self, path: str | Path, **filters: Any) -> Path:
        """Write `records(**filters)` to CSV (``.csv``) or Parquet (``.parquet``/``.pq``)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".parquet", ".pq"):
            raise ConfigError(
                f"{path}: cannot export scores to {suffix or 'a file without a suffix'}"
                " (use .csv, .parquet or .pq)"
            )
        frame = self.records(**filters)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        if suffix == ".csv":
            frame.to_csv(partial, index=False)
        else:
            frame.to_parquet(partial, index=False)
        partial.replace(path)  # readers never see half a file
        return path

    # -- plumbing ------------------------------------------------------------------------

    def _record(self, row: tuple[Any, ...]) -> ScoreRecord:
        try:
            return _row_record(row)
        except (ValueError, TypeError) as exc:  # a record no harness wrote: a damaged file
            raise DataError(f"{self.path}: not a valid score store ({exc})") from None

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _sqlite_errors(self, action: str) -> _SqliteErrors:
        return _SqliteErrors(self.path, action, self._busy_timeout)


class _SqliteErrors:
    """Turns SQLite's file-level failures into one-line DataErrors naming the file.

    Constraint and programming errors are bugs in the caller or here, not a bad
    file, so they pass through unchanged.
    """

    def __init__(self, path: Path, action: str, busy_timeout: float) -> None:
        self.path, self.action, self.busy_timeout = path, action, busy_timeout

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, UnicodeDecodeError):  # sqlite3 decodes TEXT values as UTF-8
            raise DataError(
                f"{self.path}: not a valid score store (a text value is not UTF-8: damaged?)"
            ) from None
        if exc is None or not isinstance(exc, sqlite3.DatabaseError):
            return
        if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
            return
        message = " ".join(str(exc).split())
        if message in ("file is not a database", "database disk image is malformed"):
            raise DataError(f"{self.path}: not a valid score store ({message})") from None
        if "locked" in message or "busy" in message:
            raise DataError(
                f"{self.path}: cannot {self.action} the score store: another process held it "
                f"locked for more than {self.busy_timeout:g} s (store_timeout); try again "
                "when it is done"
            ) from None
        raise DataError(f"{self.path}: cannot {self.action} score store ({message})") from None


def _remove_stub(made: list[Path]) -> None:
    """Remove a store file this process made but could not set up (a full disk, a
    read-only folder), with its -wal/-shm/-journal files and the folders made for it:
    nothing half-made is left. A file another process has meanwhile made a store of
    (it holds tables) is left alone."""
    if not made:
        return
    store, folders = made[-1], made[:-1]
    try:
        with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as conn:
            if conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]:
                return
    except sqlite3.Error:
        pass  # unreadable or gone: a stub either way
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(f"{store}{suffix}").unlink()
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _as_sqlite_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError(f"ScoreKey.{name} must be an integer, got {value!r}")
    number = operator.index(value)
    low, high = _SQLITE_INT_RANGE
    if not low <= number <= high:
        raise ValueError(f"ScoreKey.{name}={number} does not fit a signed 64-bit integer")
    return number


def _record_row(record: ScoreRecord) -> tuple[Any, ...]:
    if not isinstance(record, ScoreRecord):
        raise TypeError(f"expected a ScoreRecord, got {type(record).__name__}")
    return (*astuple(record.key), *(getattr(record, c) for c in PAYLOAD_COLUMNS))


def _row_record(row: tuple[Any, ...]) -> ScoreRecord:
    n = len(KEY_COLUMNS)
    payload = dict(zip(PAYLOAD_COLUMNS, row[n:], strict=True))
    return ScoreRecord(key=ScoreKey(*row[:n]), **payload)
