"""The table registry: loaders register by decorator; `load_table` is the front door."""

from __future__ import annotations

import fnmatch
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.datadir import resolve_data_dir
from harness.errors import UnknownNameError
from harness.tables.base import BenchmarkTable

Loader = Callable[..., BenchmarkTable]


@dataclass(frozen=True, slots=True)
class TableInfo:
    """A registered table: its loader and the data-folder files it reads by default."""

    name: str
    loader: Loader
    files: tuple[str, ...]
    description: str
    #: reads the package's embedded copy when its files are absent (or always, without files)
    embedded: bool = False


_TABLES: dict[str, TableInfo] = {}


def register_table(
    name: str, *, files: tuple[str, ...] = (), description: str = "", embedded: bool = False
) -> Callable[[Loader], Loader]:
    """Register `loader(data_dir: Path, **options) -> BenchmarkTable` under `name`."""

    def decorate(loader: Loader) -> Loader:
        if name in _TABLES:
            warnings.warn(f"table {name!r} registered twice; the later loader wins", stacklevel=2)
        doc = description or (loader.__doc__ or "").strip().splitlines()[0]
        _TABLES[name] = TableInfo(name, loader, files, doc, embedded)
        return loader

    return decorate


def list_tables(pattern: str = "*") -> list[str]:
    """Registered table names matching a shell-style pattern, sorted."""
    return sorted(n for n in _TABLES if fnmatch.fnmatchcase(n, pattern))


def table_info(name: str) -> TableInfo:
    try:
        return _TABLES[name]
    except KeyError:
        raise UnknownNameError("table", name, list(_TABLES)) from None


def load_table(
    name: str, /, data_dir: str | os.PathLike[str] | None = None, **options: Any
) -> BenchmarkTable:
    """Load the registered table `name` from the data folder.

    `data_dir` is resolved by `harness.datadir.resolve_data_dir` (flag, $HARNESS_DATA,
    ./data). `options` go to the loader, e.g. `verify=False` to skip the checksum
    check, or `path=` to read a file from elsewhere.
    """
    info = table_info(name)
    return info.loader(Path(resolve_data_dir(data_dir)), **options)
