"""Miniature NAS-Bench-201 `.pth` and NATS-Bench `tss` archives in the official on-disk layout.

Written by hand from the official packages' readers (nas_201_api 2.1, nats_bench 1.8),
not with their writers, so the loaders are tested against the layout itself:

- `ResultsCount` state: the attributes `get_more_info` reads (`train_acc1es`,
  `train_losses`, `eval_acc1es` / `eval_losses` keyed `"{set}@{epoch}"`, `epochs`; empty
  `eval_times` and `None` `train_times` mean "no timings"), plus the rest of its fields;
- `ArchResults` state: `arch_index`, `arch_str`, `all_results` keyed `(dataset, seed)`,
  `dataset_seed` {dataset: sorted seeds}, `clear_net_done`;
- NAS-Bench-201 `.pth`: `torch.save({"meta_archs": [...], "arch2infos": {index: {"less":
  ArchResults state (12 epochs), "full": ... (200 epochs)}}, "evaluated_indexes": [...]})`;
- NATS-Bench tss folder (fast mode): `meta.pickle.pbz2` = bz2 pickle of `{"meta_archs":
  [...]}`, and `{index:06d}.pickle.pbz2` = bz2 pickle of `{"12": ArchResults state, "200":
  ...}` per architecture.

Only the last epoch's figures are stored: that is all the loaders query.
"""

from __future__ import annotations

import bz2
import pickle
from pathlib import Path

#: Which evaluation sets each NAS-Bench-201 dataset has, and which split each one is.
EVAL_SETS: dict[str, dict[str, str]] = {
    "cifar10-valid": {"x-valid": "valid", "ori-test": "test"},
    "cifar10": {"ori-test": "test"},
    "cifar100": {"x-valid": "valid", "x-test": "test", "ori-test": "valtest"},
    "ImageNet16-120": {"x-valid": "valid", "x-test": "test", "ori-test": "valtest"},
}

#: Mini benchmark: 3 cells. Accuracy of (index, hp, dataset, split, seed) comes from
#: `accuracy()`; `SEEDS` says which (hp, dataset) each cell was trained on and how often.
META_ARCHS: list[str] = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
]
ALL_DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
SEEDS: dict[int, dict[str, dict[str, tuple[int, ...]]]] = {
    # like NAS-Bench-201 v1.0: 12-epoch results only for cifar10-valid
    0: {
        "12": {"cifar10-valid": (777,)},
        "200": {"cifar10-valid": (777, 888), "cifar10": (777, 888, 999),
                "cifar100": (777,), "ImageNet16-120": (888,)},
    },
    1: {"12": {d: (111,) for d in ALL_DATASETS}, "200": {d: (777, 888) for d in ALL_DATASETS}},
    2: {"12": {d: (111,) for d in ALL_DATASETS}, "200": {d: (777,) for d in ALL_DATASETS}},
}  # fmt: skip
EPOCHS = {"12": 12, "200": 200}


def accuracy(index: int, hp: str, dataset: str, eval_set: str, seed: int) -> float:
    """A made-up accuracy, different for every argument combination."""
    base = {"cifar10-valid": 80.0, "cifar10": 85.0, "cifar100": 60.0, "ImageNet16-120": 30.0}
    offset = {"x-valid": 0.25, "ori-test": 0.5, "x-test": 0.75}[eval_set]
    return base[dataset] + 3.0 * index + (2.0 if hp == "200" else 0.0) + offset + seed / 1000


def expected_accuracy(index: int, hp: str, dataset: str, split: str) -> float | None:
    """Seed mean of `accuracy` for a (dataset, split), or None when the file lacks it."""
    seeds = SEEDS[index].get(hp, {}).get(dataset)
    sets = [s for s, name in EVAL_SETS[dataset].items() if name == split]
    if not seeds or not sets:
        return None
    values = [accuracy(index, hp, dataset, sets[0], seed) for seed in seeds]
    return sum(values) / len(values)


def _results_count(index: int, hp: str, dataset: str, seed: int, *, extra=None) -> dict:
    epochs = EPOCHS[hp]
    last = epochs - 1
    eval_sets = EVAL_SETS[dataset]
    state = {
        "name": dataset,
        "net_state_dict": None,
        "train_acc1es": {last: 99.0},
        "train_acc5es": None,
        "train_losses": {last: 0.01},
        "train_times": None,
        "arch_config": {"channel": 16, "num_cells": 5, "arch_str": META_ARCHS[index],
                        "class_num": 10},
        "params": 0.1 + index,
        "flop": 10.0 + index,
        "seed": seed,
        "epochs": epochs,
        "latency": [0.01],
        "eval_names": list(eval_sets),
        "eval_acc1es": {f"{s}@{last}": accuracy(index, hp, dataset, s, seed) for s in eval_sets},
        "eval_times": {},
        "eval_losses": {f"{s}@{last}": 1.0 for s in eval_sets},
    }  # fmt: skip
    if extra is not None:
        state["latency"] = [extra]
    return state


def _arch_results(index: int, hp: str, *, extra=None) -> dict:
    seeds = SEEDS[index][hp]
    return {
        "arch_index": index,
        "arch_str": META_ARCHS[index],
        "all_results": {
            (dataset, seed): _results_count(index, hp, dataset, seed, extra=extra)
            for dataset, dataset_seeds in seeds.items()
            for seed in dataset_seeds
        },
        "dataset_seed": {dataset: sorted(s) for dataset, s in seeds.items()},
        "clear_net_done": False,
    }


def write_nb201_pth(path: Path, *, extra=None) -> Path:
    """A NAS-Bench-201 `.pth` with the three mini cells (`extra`: an object stored in it)."""
    import torch

    contents = {
        "meta_archs": list(META_ARCHS),
        "arch2infos": {
            index: {
                "less": _arch_results(index, "12", extra=extra),
                "full": _arch_results(index, "200", extra=extra),
            }
            for index in SEEDS
        },
        "evaluated_indexes": sorted(SEEDS),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(contents, path)
    return path


def _bz2_pickle(obj: object, path: Path) -> None:
    with bz2.BZ2File(path, "wb") as handle:
        pickle.dump(obj, handle, protocol=4)


def write_nats_tss(folder: Path, *, skip: tuple[int, ...] = ()) -> Path:
    """A NATS-Bench tss fast-mode folder with the mini cells (`skip`: indices left out)."""
    folder.mkdir(parents=True, exist_ok=True)
    _bz2_pickle({"meta_archs": list(META_ARCHS)}, folder / "meta.pickle.pbz2")
    for index in SEEDS:
        if index in skip:
            continue
        per_hp = {hp: _arch_results(index, hp) for hp in ("12", "200")}
        _bz2_pickle(per_hp, folder / f"{index:06d}.pickle.pbz2")
    return folder
