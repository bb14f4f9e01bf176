"""Results documents as the report sees them: loaded, labelled, split into groups.

A *group* is what one figure or table is about: the rows of one document that
share (space, dataset, target) and, for an ablation document, one grid setting,
together with the per-architecture values they were computed from (if stored).
Reports read these values; they never recompute a proxy score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import DataError
from harness.results import PerArchValues, ResultRow, ResultsDocument

#: Name of the results file every command writes into its output folder.
RESULTS_FILE = "results.json"


@dataclass(frozen=True)
class LoadedDocument:
    """A results document with where it came from and a short label (D1, D2, ...)."""

    label: str
    path: Path | None
    document: ResultsDocument


@dataclass(frozen=True)
class GroupKey:
    """What identifies comparable rows across documents."""

    space: str
    dataset: str
    target: str
    setting: str = ""

    def title(self) -> str:
        parts = [self.space, self.dataset, self.target]
        if self.setting:
            parts.append(self.setting)
        return " · ".join(parts)


@dataclass(frozen=True)
class ResultGroup:
    """Rows of one document sharing a GroupKey, and their per-architecture values."""

    source: LoadedDocument
    key: GroupKey
    rows: tuple[ResultRow, ...]
    per_arch: PerArchValues | None

    @property
    def title(self) -> str:
        return f"{self.source.label} · {self.key.title()}"

    def row(self, proxy: str) -> ResultRow | None:
        return next((r for r in self.rows if r.proxy == proxy), None)


def results_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Each path as given if it is a file; every results.json below it if it is a folder."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(path.rglob(RESULTS_FILE))
            if not inside:
                raise DataError(f"{path}: no {RESULTS_FILE} in this folder or below it")
            found.extend(inside)
        elif path.exists():
            found.append(path)
        else:
            raise DataError(f"{path}: results file or folder not found")
    unique: list[Path] = []
    for path in found:
        if path.resolve() not in {p.resolve() for p in unique}:
            unique.append(path)
    return unique


def load_documents(paths: Iterable[str | Path], *, need_rows: bool = False) -> list[LoadedDocument]:
    """Read every results document named (files or folders), labelled D1, D2, ... in order.

    With `need_rows`, a document without rows (a run that scored nothing) is a DataError
    naming it: a report or leaderboard of nothing is not a result.
    """
    files = results_paths(paths)
    loaded = [
        LoadedDocument(label=f"D{i}", path=path, document=ResultsDocument.read(path))
        for i, path in enumerate(files, start=1)
    ]
    if need_rows:
        for source in loaded:
            if not source.document.rows:
                raise DataError(
                    f"{source.path}: the results document has no rows (its run ranked no "
                    "proxy), so there is nothing to report"
                )
    return loaded


def label_documents(documents: Sequence[ResultsDocument]) -> list[LoadedDocument]:
    """Documents already in memory, labelled like `load_documents` does."""
    return [
        LoadedDocument(label=f"D{i}", path=None, document=doc)
        for i, doc in enumerate(documents, start=1)
    ]


def setting_label(values: dict[str, Any]) -> str:
    """`input.batch_size=16, input.source=synthetic` -> `batch_size=16 · source=synthetic`."""
    return " · ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in values.items())


def _row_setting(row: ResultRow) -> str:
    values = row.extra.get("ablation")
    return setting_label(values) if isinstance(values, dict) else ""


def groups_of(source: LoadedDocument) -> list[ResultGroup]:
    """The document's groups, in the order their first row appears.

    Per-architecture values are matched on (space, dataset, target); an ablation
    document stores one PerArchValues per setting, at `extra["setting"]` of its rows.
    """
    doc = source.document
    keyed: dict[GroupKey, list[ResultRow]] = {}
    for row in doc.rows:
        key = GroupKey(row.space, row.dataset, row.target, _row_setting(row))
        keyed.setdefault(key, []).append(row)
    groups = []
    for key, rows in keyed.items():
        groups.append(
            ResultGroup(source=source, key=key, rows=tuple(rows), per_arch=_per_arch_for(doc, rows))
        )
    return groups


def _per_arch_for(doc: ResultsDocument, rows: list[ResultRow]) -> PerArchValues | None:
    index = rows[0].extra.get("setting")
    if isinstance(index, int) and not isinstance(index, bool):
        return doc.per_arch[index] if 0 <= index < len(doc.per_arch) else None
    first = rows[0]
    wanted = (first.space, first.dataset, first.target)
    return next((v for v in doc.per_arch if (v.space, v.dataset, v.target) == wanted), None)


def short_revision(revision: str | None) -> str:
    if not revision:
        return "unknown"
    dirty = revision.endswith("-dirty")
    return revision[:10] + ("-dirty" if dirty else "")


def config_summary(doc: ResultsDocument) -> str:
    """The few config values that shape a figure, as one line."""
    config = doc.config
    if doc.kind == "leaderboard":
        keys = ("table", "dataset", "target", "duplicates", "bootstrap_resamples")
        return ", ".join(f"{k}={config[k]}" for k in keys if config.get(k) is not None)
    if doc.kind in ("run", "ablation"):
        return _run_summary(config, config.get("grid", {}) if doc.kind == "ablation" else {})
    scalars = [(k, v) for k, v in config.items() if isinstance(v, str | int | float | bool)]
    return ", ".join(f"{k}={v}" for k, v in scalars[:8])


_RUN_KEYS = (
    ("table", "table"),
    ("target", "target"),
    ("archs", "archs"),
    ("network_variant", "variant"),
    ("input.source", "input"),
    ("input.batch_size", "batch"),
    ("seed", "seed"),
    ("sample_seed", "sample_seed"),
)


def _run_summary(config: dict[str, Any], grid: dict[str, Any]) -> str:
    """The run config values that shape a figure; swept keys are shown as the grid."""
    base = config.get("base", config)
    parts = []
    for key, name in _RUN_KEYS:
        value: Any = base
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if key == "sample_seed" and value in (None, -1):
            continue
        parts.append(f"{name}={'swept' if key in grid else value}")
        if key == "input.source" and key not in grid:
            images = (config.get("resolved") or {}).get("images")
            if isinstance(images, dict) and images.get("source") not in (None, value):
                parts[-1] += f" (used {images['source']})"  # e.g. input=auto (used cifar10)
    if grid:
        parts.append("grid: " + "; ".join(f"{k}={v}" for k, v in grid.items()))
    return ", ".join(parts)


def data_summary(doc: ResultsDocument) -> str:
    if not doc.data_files:
        return "no data files recorded"
    return ", ".join(f"{name} (sha256 {digest[:12]}…)" for name, digest in doc.data_files.items())


def provenance_line(source: LoadedDocument) -> str:
    """One line that traces a figure back to its document: config, versions, git, data, seed."""
    doc = source.document
    versions = doc.versions
    version_text = ", ".join(
        f"{k} {versions[k]}" for k in ("harness", "numpy", "scipy", "torch") if versions.get(k)
    )
    return (
        f"{source.label} = {doc.kind} {doc.run_id} (created {doc.created}); "
        f"git {short_revision(doc.git_revision)}; seed {doc.seed}; "
        f"config: {config_summary(doc)}; data: {data_summary(doc)}; versions: {version_text}"
    )
