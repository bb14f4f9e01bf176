"""The `[combine]` table of a run config: how learned combinations are fitted and judged.

`harness combine CONFIG.toml` reads the file's run settings (`[run]`, `[input]`,
`[combinations]`: which architectures, which proxies, which store) and its `[combine]`
table; `harness run` accepts a file with a `[combine]` table and ignores it, so one file
serves both. Every key is optional:

    [combine]
    scores = "computed"     # computed: the run's proxies (from the store, scoring what is
                            #   missing); reference: the scores shipped with the table;
                            #   results: the scores a harness run's results.json recorded
    results = ""            # scores = "results": that results.json
    dataset = ""            # reference: whose scores are the features ("" = the target's)
    features = ["*"]        # globs over the per-architecture proxies available; "graf":
                            #   the GRAF graph features of each NB201 cell (harness.combine.graf)
    models = ["ridge", "logistic", "pairwise", "gbt"]
    ks = [10, 20, 50, 100, 200]   # labelled architectures per fit
    splits = 20             # random train/held-out splits per k
    min_held_out = 20       # a k leaving fewer held-out architectures is skipped (noted)
    label_free = ["mean_rank", "borda", "median_rank", "vote"]  # + the file's [combinations]
    transfer = []           # "DATASET" (same table) or "TABLE:DATASET", e.g. "cifar100"
    leakage = true          # run the leakage test
    leakage_noise = 0.25    # noise sd of the leaked copy of the truth's rank normal scores
    split_resamples = 200   # bootstrap resamples per split (pooled over the splits)
    confidence = 0.95
    seed = -1               # splits, models and leak noise; negative = the run's seed
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.combine.leakage import DEFAULT_NOISE
from harness.config import (
    Overrides,
    RunConfig,
    check_seed,
    load_run_config,
    parse_set,
    parse_value,
    read_toml,
)
from harness.errors import ConfigError

#: Where the features come from.
SCORE_SOURCES = ("computed", "reference", "results")
DEFAULT_KS: tuple[int, ...] = (10, 20, 50, 100, 200)
DEFAULT_MODELS: tuple[str, ...] = ("ridge", "logistic", "pairwise", "gbt")
DEFAULT_LABEL_FREE: tuple[str, ...] = ("mean_rank", "borda", "median_rank", "vote")


@dataclass(frozen=True)
class CombineConfig:
    scores: str = "computed"
    results: str = ""
    dataset: str = ""
    features: tuple[str, ...] = ("*",)
    models: tuple[str, ...] = DEFAULT_MODELS
    ks: tuple[int, ...] = DEFAULT_KS
    splits: int = 20
    min_held_out: int = 20
    label_free: tuple[str, ...] = DEFAULT_LABEL_FREE
    transfer: tuple[str, ...] = ()
    leakage: bool = True
    leakage_noise: float = DEFAULT_NOISE
    split_resamples: int = 200
    confidence: float = 0.95
    seed: int = -1

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def resolved_seed(self, run: RunConfig) -> int:
        return run.seed if self.seed < 0 else self.seed


def _names(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"combine.{key} must be a list of names, got {value!r}")
    return tuple(value)


def _integers(key: str, value: Any) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError(f"combine.{key} must be a list of integers, got {value!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 2 for v in value):
        raise ConfigError(f"combine.{key} must list integers >= 2, got {value!r}")
    return tuple(sorted(set(value)))


def _scalar(key: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"combine.{key} must be true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"combine.{key} must be an integer, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"combine.{key} must be a number, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"combine.{key} must be text, got {value!r}")
    return value


def parse_combine(values: Mapping[str, Any], base: CombineConfig | None = None) -> CombineConfig:
    """`base` (default: the defaults) updated by a `[combine]` table, checked."""
    config = base or CombineConfig()
    fields = {f.name for f in dataclasses.fields(CombineConfig)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            close = difflib.get_close_matches(key, sorted(fields), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ConfigError(
                f"unknown combine key {key!r}{hint} (known: {', '.join(sorted(fields))})"
            )
        if key == "ks":
            changes[key] = _integers(key, value)
        elif key in ("features", "models", "label_free", "transfer"):
            changes[key] = _names(key, value) if value != [] else ()
        else:
            changes[key] = _scalar(key, value, getattr(config, key))
    config = dataclasses.replace(config, **changes)
    validate_combine(config)
    return config


def validate_combine(config: CombineConfig) -> None:
    if config.scores not in SCORE_SOURCES:
        raise ConfigError(
            f"combine.scores must be {', '.join(SCORE_SOURCES)}, got {config.scores!r}"
        )
    if (config.scores == "results") != bool(config.results):
        raise ConfigError(
            'combine.results (a harness run\'s results.json) goes with combine.scores = "results"'
        )
    if config.splits < 1:
        raise ConfigError(f"combine.splits must be >= 1, got {config.splits}")
    if config.min_held_out < 3:
        raise ConfigError(f"combine.min_held_out must be >= 3, got {config.min_held_out}")
    if config.split_resamples < 1:
        raise ConfigError(f"combine.split_resamples must be >= 1, got {config.split_resamples}")
    if not 0 < config.confidence < 1:
        raise ConfigError(f"combine.confidence must lie in (0, 1), got {config.confidence}")
    if not 0 < config.leakage_noise < float("inf"):
        raise ConfigError(f"combine.leakage_noise must be > 0, got {config.leakage_noise}")
    if not config.models:
        raise ConfigError("combine.models must name at least one model")
    if not config.features:
        raise ConfigError("combine.features must name at least one proxy (or '*')")
    if config.seed >= 0:
        check_seed("combine.seed", config.seed)


#: The prefix of the overrides that reach the `[combine]` table.
COMBINE_PREFIX = "combine."


def parse_combine_set(item: str) -> tuple[str, Any]:
    """A `--set` text as (dotted key, value), as `harness.config.parse_set` reads it; a
    `combine.` one must name a key (`combine.KEY=VALUE`)."""
    if not item.strip().startswith(COMBINE_PREFIX):
        return parse_set(item)
    key, sep, text = item.strip()[len(COMBINE_PREFIX) :].partition("=")
    if not key.strip() or not sep:
        raise ConfigError(f"--set expects combine.key=value, got {item!r}")
    return COMBINE_PREFIX + key.strip(), parse_value(text.strip())


def load_combine_config(
    path: str | Path | None, overrides: Overrides | Iterable[str] = ()
) -> tuple[RunConfig, CombineConfig]:
    """The run settings and the `[combine]` table of a config file (None: the embedded
    run and the defaults). Overrides (dotted keys -> values, or `--set` texts) of
    `combine.KEY` reach `[combine]`, the others the run settings (as `harness run --set`)."""
    combine_items: Iterable[tuple[str, Any]]
    if isinstance(overrides, Mapping):
        run_overrides: Overrides | list[str] = {
            k: v for k, v in overrides.items() if not k.startswith(COMBINE_PREFIX)
        }
        combine_items = [(k, v) for k, v in overrides.items() if k.startswith(COMBINE_PREFIX)]
    else:
        texts = list(overrides)
        run_overrides = [t for t in texts if not t.strip().startswith(COMBINE_PREFIX)]
        combine_texts = [t for t in texts if t.strip().startswith(COMBINE_PREFIX)]
        combine_items = (parse_combine_set(t) for t in combine_texts)
    run = load_run_config(path, run_overrides)
    table: dict[str, Any] = {}
    if path is not None:
        raw = read_toml(path)
        found = raw.get("combine", {})
        if not isinstance(found, dict):
            raise ConfigError(f"{path}: [combine] must be a table of settings")
        table = dict(found)
    for key, value in combine_items:
        table[key[len(COMBINE_PREFIX) :]] = value
    try:
        config = parse_combine(table)
        check_ks(config, run.archs)
    except ConfigError as exc:
        where = f"{path}: " if path is not None else ""
        raise ConfigError(f"{where}{exc}") from None
    return run, config


def check_ks(config: CombineConfig, archs: int) -> None:
    """ConfigError, before any scoring, when no k of `combine.ks` can be evaluated on the
    run's `archs` architectures (each k must leave min_held_out held out). Scores read
    from a results document are counted when read (their ks are noted there)."""
    if config.scores == "results":
        return
    largest = archs - config.min_held_out
    if all(k > largest for k in config.ks):
        ks = ", ".join(str(k) for k in config.ks)
        fix = (
            f"a k must be at most {largest} (or raise --archs)"
            if largest >= 2
            else f"raise --archs to at least {config.min_held_out + min(config.ks)} or lower "
            "combine.min_held_out"
        )
        raise ConfigError(
            f"combine.ks ({ks}): every k leaves fewer than min_held_out = "
            f"{config.min_held_out} of the run's {archs} architectures held out; {fix}"
        )
