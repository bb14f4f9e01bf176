"""The table registry: loaders register by decorator; `load_table` is the front door.

Every module of `harness.tables` is imported on the first lookup (the registry's
discovery), so a new table module registers itself and needs no import list.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.datadir import resolve_data_dir
from harness.errors import ConfigError, UnknownNameError
from harness.registry import Registry, package_modules
from harness.tables.base import BAD_TRUTH_POLICIES, BenchmarkTable

Loader = Callable[..., BenchmarkTable]


@dataclass(frozen=True, slots=True)
class TableInfo:
    """A registered table: its loader and the data-folder files it reads by default."""

    name: str
    loader: Loader
    files: tuple[str, ...]
    description: str
    #: what a run ranks against unless told otherwise (None: the table's first column)
    default_target: str | None = None
    #: reads the package's embedded copy when its files are absent (or always, without files)
    embedded: bool = False
    #: the table holding this one's ground truth, joined when a target is not its own
    #: (`harness.tables.targets.resolve_target`); None: every target is its own
    truth_table: str | None = None

    def options(self) -> dict[str, inspect.Parameter]:
        """The loader's keyword options by name (the data folder aside)."""
        parameters = list(inspect.signature(self.loader).parameters.values())[1:]
        return {p.name: p for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}

    def required_options(self) -> list[str]:
        """Options the loader cannot do without (the generic table's path, space, ...)."""
        return [n for n, p in self.options().items() if p.default is inspect.Parameter.empty]


#: Every registered table; the built-in table modules are imported on first lookup.
TABLES: Registry[TableInfo] = Registry(
    "table",
    discover=package_modules("harness.tables"),
    duplicate_message="{kind} {name!r} registered twice; the later loader wins",
)

#: Options every table takes, of the types given; a loader that has no use for one
#: (trust_pickle where nothing is unpickled) does not receive it.
POLICY_OPTIONS: dict[str, type] = {"verify": bool, "trust_pickle": bool, "bad_truth": str}


def register_table(
    name: str,
    *,
    files: tuple[str, ...] = (),
    description: str = "",
    default_target: str | None = None,
    embedded: bool = False,
    truth_table: str | None = None,
) -> Callable[[Loader], Loader]:
    """Register `loader(data_dir: Path, **options) -> BenchmarkTable` under `name`.

    `default_target` is the ground truth a run ranks against when its config names none
    (short or full form); None means the table's first ground-truth column.
    `truth_table` names the table holding ground truth this one lacks (joined by
    `resolve_target` when a target is not one of this table's columns).
    """

    def decorate(loader: Loader) -> Loader:
        doc = description or (loader.__doc__ or "").strip().splitlines()[0]
        info = TableInfo(name, loader, files, doc, default_target, embedded, truth_table)
        TABLES.register(name, info, stacklevel=2)
        return loader

    return decorate


def list_tables(pattern: str = "*") -> list[str]:
    """Registered table names matching a shell-style pattern, sorted."""
    return TABLES.names(pattern)


def table_info(name: str) -> TableInfo:
    """The registered table `name` (UnknownNameError with a did-you-mean otherwise)."""
    return TABLES[name]


def load_table(
    name: str, /, data_dir: str | os.PathLike[str] | None = None, **options: Any
) -> BenchmarkTable:
    """Load the registered table `name` from the data folder.

    `data_dir` is resolved by `harness.datadir.resolve_data_dir` (flag, $HARNESS_DATA,
    ./data). `options` go to the loader, e.g. `path=` to read a file from elsewhere;
    every table takes `verify=False` (load a file whose sha256 differs from the
    manifest's, with a warning in the table's notes), `trust_pickle=True` (unpickle files
    the manifest does not pin) and `bad_truth="drop"` (drop, with a counted warning,
    ground-truth values outside [0, 100] or not finite instead of refusing the file).
    An unknown or missing option is a one-line ConfigError. Warnings are printed to
    stderr and kept in `table.notes`.
    """
    info = table_info(name)
    # a named data folder must exist, unless the table's file is named itself (`path=`)
    root = resolve_data_dir(data_dir, must_exist=not options.get("path"))
    table = info.loader(Path(root), **loader_options(info, options))
    unverified = tuple(s.warning for s in table.sources if s.warning)
    if unverified:
        table = dataclasses.replace(
            table,
            notes=table.notes + unverified,
            warnings=table.warnings + unverified,
        )
    for warning in table.warnings:
        print(f"WARNING: {warning}", file=sys.stderr)
    return table


def loader_options(info: TableInfo, options: dict[str, Any]) -> dict[str, Any]:
    """`options` checked against `info`'s loader: the policy options it takes, and its own."""
    accepted = info.options()
    for key, kind in POLICY_OPTIONS.items():
        if key in options and not isinstance(options[key], kind):
            raise ConfigError(
                f"table option {key} must be {'true or false' if kind is bool else 'text'}, "
                f"got {options[key]!r}"
            )
    policy = options.get("bad_truth")
    if policy is not None and policy not in BAD_TRUTH_POLICIES:
        raise ConfigError(
            f"table option bad_truth must be one of {', '.join(BAD_TRUTH_POLICIES)}, got {policy!r}"
        )
    path = options.get("path")
    if path is not None and not isinstance(path, str | os.PathLike):
        raise ConfigError(f"table option path must be a file name, got {path!r}")
    for key in options:
        if key not in accepted and key not in POLICY_OPTIONS:
            known = sorted(set(accepted) | set(POLICY_OPTIONS))
            raise UnknownNameError(f"table {info.name} option", key, known)
    missing = [n for n in info.required_options() if n not in options]
    if missing:
        example = " ".join(f"--set table_options.{n}=..." for n in missing)
        raise ConfigError(
            f"table {info.name!r} needs option(s) {', '.join(missing)}: give them in the run "
            f"config's [run.table_options] table or as {example}"
        )
    return {k: v for k, v in options.items() if k in accepted}
