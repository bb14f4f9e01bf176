"""The typed results document: one JSON file per run, from which every report is made.

A document records how its numbers were made (config, versions, git hash, data
checksums, seeds) and, per (space, dataset, target, proxy), the figures and the
per-architecture values they were computed from, so that reports and the CI gate
never recompute scores and every figure can be traced back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from harness import provenance
from harness.errors import DataError
from harness.schema import SchemaError, check_fields, check_value
from harness.stats import figure_keys, finite_or_none, list_figures

SCHEMA_VERSION = 1


#: Element types of a list converted in one comprehension (`_json_safe`'s fast path).
_PLAIN_NUMBERS = frozenset({float, np.float64, type(None)})


def _json_safe(value: Any) -> Any:
    """`value` as JSON holds it: dataclasses as dicts of their fields, NaN/inf as None,
    keys as strings, tuples as lists, numpy scalars as Python numbers."""
    if isinstance(value, float):
        return finite_or_none(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if value and _PLAIN_NUMBERS.issuperset(map(type, value)):  # per-architecture values
            return [v if v is None or math.isfinite(v) else None for v in map(_float, value)]
        return [_json_safe(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json_safe(getattr(value, f.name)) for f in fields(value)}
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_safe(value.item())
    return value


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


@dataclass
class ResultRow:
    """Ranking quality of one proxy on one (space, dataset, target)."""

    space: str
    dataset: str
    target: str
    proxy: str
    higher_is_better: bool
    n: int
    n_failed: int
    kendall: float | None
    kendall_lo: float | None
    kendall_hi: float | None
    spearman: float | None
    spearman_lo: float | None
    spearman_hi: float | None
    pearson: float | None
    pearson_lo: float | None = None
    pearson_hi: float | None = None
    seconds_per_arch: float | None = None
    #: "reference" (scores shipped with a benchmark file) or "computed" (by this harness)
    origin: str = "computed"
    proxy_version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


#: Row fields that are correlations or their interval ends, in [-1, 1] where present
#: (the typed figures of `harness.stats.FIGURES` with bounds).
CORRELATION_COLUMNS: tuple[str, ...] = figure_keys(column=True, bounded=True)
#: The count columns of a row (n, n_failed): the typed counts of `harness.stats.FIGURES`.
COUNT_COLUMNS: tuple[str, ...] = tuple(f.name for f in list_figures(column=True) if f.count)
#: The figure columns of a row (counts, then correlations with their interval ends), in
#: the order tables and CSV files show them: the typed figures of `harness.stats.FIGURES`.
FIGURE_COLUMNS: tuple[str, ...] = figure_keys(column=True)


def row_from_summary(summary: dict[str, Any], **fields: Any) -> ResultRow:
    """A row from a `CorrelationSummary.to_dict()`: its figures become fields, the rest extra.

    `fields` gives the identity (space, dataset, target, proxy, higher_is_better, ...);
    an `extra` among them is merged after the summary's own extra figures.
    """
    figures = dict(summary)
    own = {name: figures.pop(name, None) for name in FIGURE_COLUMNS}
    extra = {**figures, **fields.pop("extra", {})}
    return ResultRow(**own, **fields, extra=extra)


def sort_by_kendall(rows: list[ResultRow]) -> list[ResultRow]:
    """Best Kendall tau first; rows without one last."""
    return sorted(rows, key=lambda r: float("inf") if r.kendall is None else -r.kendall)


@dataclass
class PerArchValues:
    """The values a group of rows was computed from (aligned on `archs`).

    A run with several initial-weight seeds also keeps every seed's scores:
    `seed_scores[proxy][k]` under `seeds[k]`; `scores` are then the first seed's.
    """

    space: str
    dataset: str
    target: str
    archs: list[str]
    truth: list[float | None]
    scores: dict[str, list[float | None]]
    seeds: list[int] | None = None
    seed_scores: dict[str, list[list[float | None]]] | None = None

    def scores_by_seed(self, proxy: str) -> list[list[float | None]] | None:
        """The proxy's scores under each seed (one list for a single-seed run), or None."""
        if self.seed_scores is not None and proxy in self.seed_scores:
            return self.seed_scores[proxy]
        return [self.scores[proxy]] if proxy in self.scores else None


class DataSource(Protocol):
    """A data file a document's numbers were computed from (e.g. a table's `SourceFile`)."""

    name: str
    sha256: str | None


@dataclass
class ResultsDocument:
    kind: str
    run_id: str
    config: dict[str, Any]
    versions: dict[str, Any]
    git_revision: str | None
    data_files: dict[str, str]
    seed: int | None
    rows: list[ResultRow]
    #: the initial-weight seeds of a run (its `seed` alone unless it scored several)
    seeds: list[int] = field(default_factory=list)
    per_arch: list[PerArchValues] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    notes: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    @classmethod
    def create(
        cls,
        *,
        kind: str,
        run_id: str,
        config: dict[str, Any],
        sources: Iterable[DataSource] | Mapping[str, str],
        seed: int | None,
        rows: list[ResultRow],
        seeds: Sequence[int] | None = None,
        per_arch: Sequence[PerArchValues] = (),
        notes: Sequence[str] = (),
        packages: tuple[str, ...] = (),
    ) -> ResultsDocument:
        """A new document stamped with its provenance, the one place that does it: package
        versions (`packages` adds e.g. plugin packages to `harness.provenance`'s list), the
        git revision of the harness, each source file's SHA-256 ("" when unknown; `sources`
        is the table's data sources or an already made name -> SHA-256 mapping), the
        machine, and the creation time (now)."""
        if isinstance(sources, Mapping):
            data_files = dict(sources)
        else:
            data_files = {s.name: s.sha256 or "" for s in sources}
        return cls(
            kind=kind,
            run_id=run_id,
            config=config,
            versions=provenance.package_versions(packages),
            git_revision=provenance.git_revision(),
            data_files=data_files,
            seed=seed,
            seeds=[] if seeds is None else list(seeds),
            rows=rows,
            per_arch=list(per_arch),
            machine=provenance.machine_info(),
            notes=list(notes),
        )

    def to_dict(self) -> dict[str, Any]:
        return _json_safe(self)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def read(cls, path: Path) -> ResultsDocument:
        """The document at `path`, checked against the schema (one-line DataError if not)."""
        try:
            text = Path(path).read_bytes().decode("utf-8")
            raw = json.loads(text, parse_constant=_no_constant)
        except FileNotFoundError:
            raise DataError(f"{path}: results file not found") from None
        except IsADirectoryError:
            raise DataError(f"{path}: is a folder, not a results file") from None
        except OSError as exc:
            raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
        except (ValueError, RecursionError) as exc:  # JSON, UTF-8, NaN, nesting too deep
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise DataError(f"{path}: not a valid results JSON document ({reason})") from None
        if not isinstance(raw, dict) or "rows" not in raw or "kind" not in raw:
            raise DataError(f"{path}: not a harness results document (no 'kind'/'rows')")
        if raw.get("schema_version") != SCHEMA_VERSION:
            raise DataError(
                f"{path}: results schema version {raw.get('schema_version')!r} is not "
                f"{SCHEMA_VERSION}"
            )
        try:
            validate_document(raw)
        except SchemaError as exc:
            raise DataError(f"{path}: invalid results document: {exc}") from None
        rows = [ResultRow(**r) for r in raw.pop("rows")]
        per_arch = [PerArchValues(**p) for p in raw.pop("per_arch", [])]
        return cls(rows=rows, per_arch=per_arch, **raw)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON (the harness writes null for a missing figure)")


#: Types of the `extra` entries that reports and the gate read, where a row has them: the
#: figures of `harness.stats.FIGURES` kept in `extra`, then the row's descriptions.
EXTRA_HINTS: dict[str, Any] = {
    **{f.name: f.hint for f in list_figures(column=False)},
    "confidence": float,
    "ablation": dict[str, Any],
    "setting": int,
    "epoch": float | None,
    "method": str,
    "seed": int | None,
    "devices": dict[str, int],
    "threads": dict[str, int],
    "members": list[str],
    "combination": str,
    "weights": dict[str, float],
}
#: Types of the `config` entries that reports and the gate read, where a document has them.
CONFIG_HINTS: dict[str, Any] = {
    "grid": dict[str, list[Any]],
    "base": dict[str, Any],
    "resolved": dict[str, Any],
    "settings": list[Any],
}


def validate_document(raw: dict[str, Any]) -> None:
    """SchemaError unless `raw` (a decoded results document) matches `ResultsDocument`:
    every field of its type, counts not negative, correlations in [-1, 1], the
    per-architecture lists as long as their architectures, known `extra` figures typed."""
    check_fields(raw, ResultsDocument, "")
    for name, hint in CONFIG_HINTS.items():
        if name in raw["config"]:
            check_value(raw["config"][name], hint, f"config.{name}")
    for i, row in enumerate(raw["rows"]):
        where = f"rows[{i}]"
        for name in COUNT_COLUMNS:
            if row[name] < 0:
                raise SchemaError(f"{where}.{name}", f"must be >= 0, got {row[name]}")
        for name in CORRELATION_COLUMNS:
            value = row.get(name)
            if value is not None and not -1 - 1e-9 <= value <= 1 + 1e-9:
                raise SchemaError(f"{where}.{name}", f"must lie in [-1, 1], got {value}")
        for name, hint in EXTRA_HINTS.items():
            if name in row.get("extra", {}):
                check_value(row["extra"][name], hint, f"{where}.extra.{name}")
        for figure in list_figures(column=False):
            value = row.get("extra", {}).get(figure.name)
            if figure.bounds is not None and isinstance(value, int | float):
                low, high = figure.bounds
                if not low - 1e-9 <= value <= high + 1e-9:
                    raise SchemaError(
                        f"{where}.extra.{figure.name}",
                        f"must lie in [{low:g}, {high:g}], got {value}",
                    )
        confidence = row.get("extra", {}).get("confidence")
        if confidence is not None and not 0 < confidence < 1:
            raise SchemaError(f"{where}.extra.confidence", f"must lie in (0, 1), got {confidence}")
    for i, values in enumerate(raw.get("per_arch", [])):
        n = len(values["archs"])
        if len(values["truth"]) != n:
            raise SchemaError(
                f"per_arch[{i}].truth", f"has {len(values['truth'])} values for {n} archs"
            )
        for proxy, scores in values["scores"].items():
            if len(scores) != n:
                raise SchemaError(
                    f"per_arch[{i}].scores.{proxy}", f"has {len(scores)} values for {n} archs"
                )
