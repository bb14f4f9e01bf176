"""NAS-Bench-201 and NATS-Bench (topology) in their official formats, via the official APIs.

- `nb201-official`: a NAS-Bench-201 `.pth` file read by `nas_201_api.NASBench201API`
  (a `torch.save`d dict: `meta_archs`, `arch2infos` with `less` = 12-epoch and `full` =
  200-epoch results, `evaluated_indexes`);
- `nats-tss`: a NATS-Bench topology archive folder read by
  `nats_bench.create(path, 'tss', fast_mode=True)` (`meta.pickle.pbz2` plus one
  `{index:06d}.pickle.pbz2` per architecture, keyed by hp `'12'` / `'200'`).

Both expose, where the file has them, for hp 12 (low fidelity) and 200 epochs, the
seed-averaged accuracies that the APIs' `get_more_info(..., is_random=False)` reports:
`cifar10-valid` valid (`x-valid`) and test (`ori-test`), `cifar10` test (`ori-test`),
`cifar100` and `ImageNet16-120` valid (`x-valid`) and test (`x-test`). Column names:
`{dataset}/accuracy/{valid|test}/{12|200}`.

The official packages (and torch, for the `.pth`) are imported only inside these loaders.
"""

from __future__ import annotations

import math
import os
import pickle
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import ArchitectureError, ConfigError, DataError
from harness.spaces import get_space
from harness.tables._registry import register_table
from harness.tables.base import (
    BenchmarkTable,
    TruthCheck,
    frame_from_columns,
    split_target_name,
    target_name,
)
from harness.tables.manifest import checked_source

NB201_PTH_FILE = "nb201/NAS-Bench-201-v1_1-096897.pth"
NATS_TSS_DIR = "nb201/NATS-tss-v1_0-3ffb9-simple"
#: NAS-Bench-201's dataset names, in column order.
DATASETS: tuple[str, ...] = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
#: Training schedules (the APIs' `hp`): 12 epochs (low fidelity) and the full 200.
HPS: tuple[str, ...] = ("12", "200")
#: `get_more_info` field -> split name in our columns.
_SPLITS: tuple[tuple[str, str], ...] = (("valid-accuracy", "valid"), ("test-accuracy", "test"))


@register_table("nb201-official", files=(NB201_PTH_FILE,), default_target="cifar10/test/200")
def load_nb201_pth(
    data_dir: Path,
    *,
    verify: bool = True,
    path: str | os.PathLike[str] | None = None,
    trust_pickle: bool = False,
    bad_truth: str = "error",
) -> BenchmarkTable:
    """NAS-Bench-201 `.pth` via nas_201_api: valid/test accuracy at 12 and 200 epochs.

    torch >= 2.6 unpickles with `weights_only=True`, which refuses files holding other
    Python objects; `trust_pickle=True` loads such a file fully (only for files you
    trust: unpickling can run code).
    """
    source = checked_source(data_dir, NB201_PTH_FILE, verify=verify, path=path)
    label = source.name
    # deferred: pulls in nas_201_api
    from nas_201_api import NASBench201API

    try:
        if trust_pickle:
            # deferred: pulls in torch
            import torch

            contents = torch.load(source.path, map_location="cpu", weights_only=False)
            api = NASBench201API(contents, verbose=False)
        else:
            api = NASBench201API(source.path, verbose=False)
    except pickle.UnpicklingError as err:
        reason = _unpickler_reason(err)
        if "Unsupported global" not in reason:
            raise DataError(f"{label}: not a NAS-Bench-201 file ({reason})") from None
        raise DataError(
            f"{label}: torch refused to unpickle it with weights_only=True ({reason}); "
            "pass trust_pickle=True if you trust the file"
        ) from None
    except Exception as err:  # the official API raises many types for a damaged file
        raise DataError(f"{label}: not a NAS-Bench-201 file ({_describe(err)})") from None
    try:
        indices = sorted(int(i) for i in api.evaluated_indexes)
    except Exception as err:
        raise DataError(f"{label}: not a NAS-Bench-201 file ({_describe(err)})") from None
    return _table_from_api(api, "nb201-official", indices, label, source, bad_truth)


@register_table("nats-tss", files=(NATS_TSS_DIR,), default_target="cifar10/test/200")
def load_nats_tss(
    data_dir: Path,
    *,
    verify: bool = True,
    path: str | os.PathLike[str] | None = None,
    indices: Iterable[int] | None = None,
    trust_pickle: bool = False,
    bad_truth: str = "error",
) -> BenchmarkTable:
    """NATS-Bench topology archive folder via nats_bench (fast mode): 12 and 200 epochs.

    Every architecture listed in the folder's meta file is read (one small file each),
    or only `indices` when given. nats_bench reads the folder with plain `pickle.load`,
    which runs whatever code a crafted file holds, and the manifest pins no checksum of
    the archive: the folder is read only with `trust_pickle=True` (`--trust-pickle`).
    """
    source = checked_source(data_dir, NATS_TSS_DIR, verify=verify, path=path, kind="directory")
    label = source.name
    if not trust_pickle:
        raise DataError(
            f"{label}: nats_bench unpickles this folder's files, which can run code, and the "
            "manifest pins no checksum for them; pass --trust-pickle (trust_pickle=True) if "
            "you trust where the folder came from"
        )
    wanted = _indices(indices, label)
    # deferred: pulls in nats_bench
    import nats_bench

    try:
        api = nats_bench.create(source.path, "tss", fast_mode=True, verbose=False)
        size = len(api)
    except Exception as err:  # the official API raises many types for a damaged folder
        raise DataError(f"{label}: not a NATS-Bench topology folder ({_describe(err)})") from None
    wanted = list(range(size)) if wanted is None else wanted
    return _table_from_api(api, "nats-tss", wanted, label, source, bad_truth)


def _indices(indices: object, label: str) -> list[int] | None:
    if indices is None:
        return None
    if isinstance(indices, str | bytes) or not isinstance(indices, Iterable):
        raise ConfigError(f"{label}: indices must be a list of integers, got {indices!r}")
    values = list(indices)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in values):
        raise ConfigError(f"{label}: indices must be a list of integers, got {values!r}")
    return values


def _table_from_api(
    api: Any, name: str, indices: Sequence[int], label: str, source: Any, bad_truth: str
) -> BenchmarkTable:
    space = get_space("nb201")
    check = TruthCheck(label, bad_truth)
    values: dict[str, dict[str, float]] = {}
    keys: list[str] = []
    benchmark_index: list[int] = []
    try:
        size = len(api)
    except Exception as err:
        raise DataError(f"{label}: not a benchmark file ({_describe(err)})") from None
    for index in indices:
        if not 0 <= index < size:
            raise DataError(f"{label}: architecture index {index} out of range 0..{size - 1}")
        where = f"architecture index {index}"
        try:
            key = space.canonical_key(api.meta_archs[index])
        except ArchitectureError as err:
            raise ArchitectureError(f"{label}: {where}: {err}") from None
        except Exception as err:  # a crafted meta file: not a list of strings
            raise DataError(f"{label}: {where}: {_describe(err)}") from None
        try:
            figures = _accuracies(api, index)
        except Exception as err:  # the official API raises many types for a damaged record
            raise DataError(f"{label}: {where}: {_describe(err)}") from None
        if not all(check.keep(where, column, value) for column, value in figures):
            continue
        keys.append(key)
        benchmark_index.append(index)
        for column, value in figures:
            values.setdefault(column, {})[key] = value
    warning = check.warning()
    if not keys:
        dropped = " (every one dropped: bad_truth=drop)" if warning else ""
        raise DataError(f"{label}: no evaluated architectures (empty table){dropped}")
    if not values:
        raise DataError(f"{label}: no accuracy figures for any architecture")
    columns = sorted(values, key=_column_order)
    frame = frame_from_columns(
        keys, {c: [values[c].get(k, math.nan) for k in keys] for c in columns}
    )
    warnings = (warning,) if warning else ()
    return BenchmarkTable(
        name=name,
        space="nb201",
        frame=frame,
        sources=(source,),
        benchmark_index=pd.Series(benchmark_index, index=frame.index, name="benchmark_index"),
        notes=warnings,
        warnings=warnings,
    )


def _accuracies(api: Any, index: int) -> list[tuple[str, float]]:
    """(column, value) for every (hp, dataset, split) the file has for one architecture."""
    found = []
    for hp in HPS:
        try:
            results = api.query_meta_info_by_index(index, hp)
        except ValueError:
            continue  # this architecture was not trained with this schedule
        present = results.get_dataset_names()
        for dataset in DATASETS:
            if dataset not in present:
                continue
            info = api.get_more_info(index, dataset, hp=hp, is_random=False)
            for field, split in _SPLITS:
                if info.get(field) is not None:
                    found.append((target_name(dataset, split, hp), float(info[field])))
    return found


def _column_order(column: str) -> tuple[int, int, int]:
    parts = split_target_name(column)
    return (
        DATASETS.index(parts.dataset),
        HPS.index(parts.epochs),
        [s for _, s in _SPLITS].index(parts.split),
    )


def _unpickler_reason(err: BaseException) -> str:
    """The informative part of torch's long weights-only refusal, on one line."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(err))
    _, marker, after = text.partition("WeightsUnpickler error:")
    detail = " ".join(after.split("Check the documentation")[0].split()) if marker else ""
    if detail:
        return detail
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def _describe(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__
