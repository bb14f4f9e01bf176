"""Ablation sweeps: a grid of `harness run` configurations, one results document.

An ablation file is a run config (its `[run]` table, plus `[input]`) and a
`[grid]` table naming the keys to sweep, each with the list of its values:

    [run]
    archs = 50
    proxies = ["params", "synflow", "nwot"]
    [input]
    source = "fashion-mnist"
    [grid]
    "input.batch_size" = [16, 64]
    "input.source" = ["fashion-mnist", "synthetic"]

Grid keys are the run config's keys, dotted for nested ones (a `[grid.input]`
sub-table means the same as `"input.…"` keys). The grid is the cartesian product
in the order written, the first key varying slowest. Every setting runs through
`harness.experiment.run_experiment` with the config's score store, so scores
shared between settings (and with earlier runs) are computed once.

The document (kind "ablation") holds every setting's rows, each with
`extra["ablation"]` (the setting's grid values) and `extra["setting"]` (its
index into `per_arch` and `config["settings"]`).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness.config import (
    Overrides,
    RunConfig,
    load_run_config,
    parse_sets,
    read_toml,
)
from harness.errors import ConfigError
from harness.results import ResultsDocument

#: The top-level table an ablation file adds to a run config.
GRID_TABLES = ("grid",)


@dataclass(frozen=True)
class AblationSetting:
    """One point of the grid and the full run config it stands for."""

    index: int
    values: dict[str, Any]
    config: RunConfig


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def read_grid(path: str | Path) -> dict[str, list[Any]]:
    """The `[grid]` table of an ablation file: dotted key -> list of values, in file order."""
    raw = read_toml(path, "ablation config")
    if "run" not in raw:
        raise ConfigError(f"{path}: an ablation config needs a [run] table (the base run config)")
    grid = raw.get("grid")
    if not isinstance(grid, dict) or not grid:
        raise ConfigError(f"{path}: an ablation config needs a non-empty [grid] table")
    return check_grid(_flatten(grid), str(path))


def check_grid(grid: Mapping[str, Any], where: str = "grid") -> dict[str, list[Any]]:
    """Each key must map to a non-empty list of distinct values."""
    checked: dict[str, list[Any]] = {}
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}: grid key {key!r} must list one or more values")
        seen = [json.dumps(v, sort_keys=True) for v in values]
        if len(set(seen)) != len(seen):
            raise ConfigError(f"{where}: grid key {key!r} repeats a value: {values!r}")
        checked[key] = list(values)
    return checked


def expand_grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the first key varying slowest."""
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def toml_literal(value: Any) -> str:
    """A value as TOML text, for a `key=value` override."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string for ordinary text
    if isinstance(value, list):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    raise ConfigError(f"grid value {value!r} is not a number, text, boolean or list")


def _override_dict(overrides: Overrides | Sequence[str]) -> dict[str, Any]:
    """Overrides as a dict (`--set` texts parsed)."""
    return dict(overrides) if isinstance(overrides, Mapping) else parse_sets(overrides)


def override_texts(overrides: Overrides | Sequence[str]) -> list[str]:
    """Overrides as the `key=value` texts the document records (texts as they are)."""
    if not isinstance(overrides, Mapping):
        return list(overrides)
    return [f"{key}={_toml_text(value)}" for key, value in overrides.items()]


def _toml_text(value: Any) -> str:
    if isinstance(value, dict):
        items = (f"{json.dumps(k)} = {_toml_text(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_text(v) for v in value) + "]"
    if isinstance(value, bool | int | float | str):
        return toml_literal(value)
    return str(value)


def settings_of(
    path: str | Path, overrides: Overrides | Sequence[str] = ()
) -> tuple[RunConfig, dict[str, list[Any]], list[AblationSetting]]:
    """(base config, grid, settings): the file's run config with `overrides` (dotted keys
    -> values, or `--set` texts), then each grid point on top. Unknown grid keys or bad
    values fail here, before anything runs."""
    grid = read_grid(path)
    overrides = _override_dict(overrides)
    base = load_run_config(path, overrides, other_tables=GRID_TABLES)
    settings = []
    for index, values in enumerate(expand_grid(grid)):
        point = dict(overrides)
        for key, value in values.items():
            toml_literal(value)  # a number, text, boolean or list, else a ConfigError
            point.pop(key, None)  # applied last, on top of the overrides
            point[key] = value
        try:
            config = load_run_config(path, point, other_tables=GRID_TABLES)
        except ConfigError as exc:
            raise ConfigError(f"{path}: grid setting {values}: {exc}") from None
        settings.append(AblationSetting(index=index, values=values, config=config))
    return base, grid, settings


#: Runs one setting: (config, run_id) -> (document, computed_archs, reused_archs).
SettingRunner = Callable[[RunConfig, str], tuple[ResultsDocument, int, int]]


def experiment_runner(data_dir: str | None, progress: bool = True) -> SettingRunner:
    """The real runner: `harness.experiment.run_experiment`."""
    # deferred: pulls in torch, numpy, pandas, scipy, tqdm
    from harness.experiment import run_experiment

    def run(config: RunConfig, run_id: str) -> tuple[ResultsDocument, int, int]:
        outcome = run_experiment(config, data_dir=data_dir, run_id=run_id, progress=progress)
        return outcome.document, outcome.computed_archs, outcome.reused_archs

    return run


def run_ablation(
    path: str | Path,
    runner: SettingRunner,
    *,
    run_id: str,
    overrides: Overrides | Sequence[str] = (),
    on_setting: Callable[[AblationSetting], None] | None = None,
) -> ResultsDocument:
    """Run every setting of the grid and gather them into one kind="ablation" document
    (which records `overrides` as `key=value` texts)."""
    base, grid, settings = settings_of(path, overrides)
    started = time.perf_counter()
    rows, per_arch, notes, records = [], [], [], []
    data_files: dict[str, str] = {}
    first: ResultsDocument | None = None
    for setting in settings:
        if on_setting is not None:
            on_setting(setting)
        setting_started = time.perf_counter()
        document, computed, reused = runner(setting.config, f"{run_id}-s{setting.index}")
        first = first or document
        offset = len(per_arch)
        per_arch.extend(document.per_arch)
        for row in document.rows:
            index = offset + next(
                (
                    i
                    for i, v in enumerate(document.per_arch)
                    if (v.space, v.dataset, v.target) == (row.space, row.dataset, row.target)
                ),
                0,
            )
            extra = {**row.extra, "ablation": dict(setting.values), "setting": index}
            rows.append(replace(row, extra=extra))
        data_files.update(document.data_files)
        resolved = document.config.get("resolved", {})
        used = resolved.get("input_source")
        asked = setting.config.input.source
        if used is not None and used != asked and asked != "auto":
            notes.append(
                f"setting {setting.index} {setting.values}: asked for input "
                f"{setting.config.input.source!r} but used {used!r} (fallback)"
            )
        notes += [n for n in document.notes if n not in notes]
        records.append(
            {
                "index": setting.index,
                "values": setting.values,
                "run_id": document.run_id,
                "per_arch_index": offset,
                "computed_archs": computed,
                "reused_archs": reused,
                "wall_seconds": round(time.perf_counter() - setting_started, 2),
                "resolved": resolved,
                "config": setting.config.to_dict(),
            }
        )
    assert first is not None  # the grid is never empty
    config = {
        "command": "ablate",
        "config_file": str(path),
        "overrides": override_texts(overrides),
        "base": base.to_dict(),
        "grid": grid,
        "settings": records,
        "wall_seconds": round(time.perf_counter() - started, 2),
    }
    return ResultsDocument(
        kind="ablation",
        run_id=run_id,
        config=config,
        versions=first.versions,
        git_revision=first.git_revision,
        data_files=data_files,
        seed=base.seed,
        rows=rows,
        per_arch=per_arch,
        machine=first.machine,
        notes=_unique(notes),
    )


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
