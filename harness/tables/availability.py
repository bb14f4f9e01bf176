"""What a data folder holds: each manifest file's state and each table's, for listings.

A file is `found` (present, with the manifest's sha256 where it pins one), `mismatch`
(present with another sha256) or `missing`; a missing file is `fetchable` when the
manifest gives its download url. A table is `found` (all its files found), `embedded`
(its files are absent but the package's embedded copy stands in), `checksum mismatch`,
`missing`, or `needs a path` (a table of no fixed file, e.g. `generic`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from harness.tables._registry import list_tables, table_info
from harness.tables.manifest import FileStatus, load_manifest, verify_data_dir


@dataclass(frozen=True)
class FileState:
    status: FileStatus
    fetchable: bool
    source: str


@dataclass(frozen=True)
class TableState:
    table: str
    status: str
    files: tuple[str, ...]
    about: str
    #: what a run ranks against when its config names no target
    default_target: str = "(its first column)"


def file_states(data_dir: str | os.PathLike[str] | None = None) -> list[FileState]:
    """Every manifest file with its state in `data_dir` and whether it can be fetched."""
    entries = load_manifest()
    return [
        FileState(s, entries[s.name].fetchable, entries[s.name].url or entries[s.name].source)
        for s in verify_data_dir(data_dir)
    ]


def table_states(files: list[FileState]) -> list[TableState]:
    """Every registered table's state, given the data folder's file states."""
    by_name = {f.status.name: f.status for f in files}
    states = []
    for name in list_tables():
        info = table_info(name)
        present = [by_name[f] for f in info.files if f in by_name]
        if any(s.status == "mismatch" for s in present):
            state = "checksum mismatch"
        elif info.files and len(present) == len(info.files) and all(s.ok for s in present):
            state = "found"
        elif info.embedded:
            state = "embedded"
        elif not info.files:
            state = "needs a path"
        else:
            state = "missing"
        target = info.default_target or "(its first column)"
        states.append(TableState(name, state, info.files, info.description, target))
    return states
