"""Run configuration: TOML file -> dataclass, with overrides (dotted key -> value).

The embedded default is the run the README promises: NB201, CIFAR-10 200-epoch
test accuracy, 200 architectures (one per isomorphism class), every proxy, a batch of
64 images of the target's own data set when they are on this machine, else of
Fashion-MNIST (input source `auto`).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from harness.errors import ConfigError
from harness.execution import executor_names  # the executor registry
from harness.stats import MAX_RESAMPLES, check_failure_policy  # the failure policies, named once

_Config = TypeVar("_Config")

#: The time limits' defaults; a results document records them only when they differ.
TIME_LIMIT_DEFAULTS: dict[str, Any] = {"proxy_timeout": 600.0, "proxy_timeouts": {}}

#: The most initial-weight seeds one run may score (`seeds`, `--seeds K`).
MAX_SEEDS = 1000

#: The largest seed: seeds are stored as signed 64-bit integers (harness.store) and
#: numpy's generators take no negative ones.
MAX_SEED = 2**63 - 1


def check_seed(name: str, value: int) -> None:
    """ConfigError unless `value` is a seed every generator accepts (0..2**63-1)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise ConfigError(f"{name} must be an integer in 0..2**63-1, got {value!r}")


@dataclass(frozen=True)
class InputConfig:
    #: "auto": the target data set's own images when found, else Fashion-MNIST (with a
    #: note), else synthetic (with a warning); or a source of `harness.inputs`
    source: str = "auto"
    batch_size: int = 64
    split: str = "train"
    class_balanced: bool = True
    #: folder of the image files (default: each source's usual place)
    path: str = ""
    #: 0 = the natural size for the target data set (16 for ImageNet16-120, else 32)
    image_size: int = 0
    #: fall back to synthetic inputs (with a warning) when the files are absent
    fallback_to_synthetic: bool = True


@dataclass(frozen=True)
class RunConfig:
    table: str = "nb201-csv"
    #: dataset/split/epochs or dataset/metric/split/epochs; "" = the table's default target
    target: str = ""
    #: options of the table's loader (`harness tables` lists them), e.g. the generic
    #: table's path, space and arch_column, or verify / trust_pickle / bad_truth
    table_options: dict[str, Any] = field(default_factory=dict)
    archs: int = 200
    unique: bool = True
    #: stratify the sample by quantiles of the target (0 = no stratification)
    stratify_quantiles: int = 0
    #: names or globs; "standard" is the 19-proxy suite, "*" every registered proxy
    proxies: tuple[str, ...] = ("standard",)
    #: plugin proxies to load first: .py files or folders of them (relative to the
    #: working folder); installed packages' proxies (entry points) need no entry here
    include: tuple[str, ...] = field(default=(), metadata={"list_only": True})
    seed: int = 0
    #: initial-weight seeds: score the same sample under each (empty = `seed` alone). The
    #: sample, and the batch unless `vary_batch`, still come from `seed`; the figures are
    #: means over the seeds with intervals covering seeds and architectures
    seeds: tuple[int, ...] = field(default=(), metadata={"items": int})
    #: with several seeds, draw each seed's batch with that seed (else all share `seed`'s)
    vary_batch: bool = False
    #: seed of the architecture sample alone; negative (default) = use `seed`. Fixing it
    #: while `seed` varies keeps the same architectures, so two runs pair (harness compare)
    sample_seed: int = -1
    device: str = "cpu"
    network_variant: str = "as_trained"
    #: the score store (SQLite), shared across runs so that reruns resume
    store: str = "reports/scores.sqlite"
    #: seconds to wait for another process writing the store before giving up
    store_timeout: float = 60.0
    #: seconds one proxy may take on one architecture (0 = no limit); past it, that
    #: architecture is the proxy's recorded failure and the run goes on
    proxy_timeout: float = 600.0
    #: per-proxy time limits overriding proxy_timeout: {synflow = 30, ...}
    proxy_timeouts: dict[str, Any] = field(default_factory=dict)
    #: who computes: serial, processes (a local pool) or dask (see harness.execution)
    executor: str = "processes"
    #: worker processes (0 = cores // threads)
    workers: int = 0
    #: torch threads per architecture; fixed so scores are bit-identical across executors
    threads: int = 1
    #: Dask scheduler address ("" = a local cluster)
    scheduler: str = ""
    bootstrap_resamples: int = 1000
    confidence: float = 0.95
    #: architectures a proxy failed on: "worst" (ranked below all it scored, as NASLib's
    #: -1e8 and TE-NAS's 1e5 do for the published figures), "drop" (left out) or
    #: "common" (every proxy on the architectures where all succeeded)
    failures: str = "worst"
    input: InputConfig = field(default_factory=InputConfig)
    #: user-named label-free combinations (set-level proxies, harness.proxies.combinations):
    #: NAME = {kind = "mean_rank", members = [...]} or {kind = "weighted_rank", weights =
    #: {proxy = weight, ...}}; each joins the run's proxies. A top-level [combinations] table
    #: of the file is read as this one.
    combinations: dict[str, Any] = field(default_factory=dict, metadata={"top_level": True})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def seed_list(self) -> tuple[int, ...]:
        """The initial-weight seeds the run scores under: `seeds`, else `seed` alone."""
        return self.seeds or (self.seed,)


#: Config overrides: dotted keys (`input.batch_size`) -> values, applied in order. A
#: command's flags go in as values; a user's `--set KEY=VALUE` text is parsed into one
#: entry (`parse_set`). Loaders also take the `--set` texts themselves.
Overrides = Mapping[str, Any]


def parse_value(text: str) -> Any:
    """A `--set` value: TOML (`32`, `"cpu"`, `[1, 2]`, `{a = 1}`); anything else is text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_set(item: str) -> tuple[str, Any]:
    """A `--set KEY=VALUE` text as (dotted key, value); ConfigError without `=` or a key."""
    key, sep, text = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set expects key=value, got {item!r}")
    return key.strip(), parse_value(text.strip())


def set_override(overrides: dict[str, Any], key: str, value: Any) -> None:
    """`overrides[key] = value`: a later value of a key wins, and two tables merge (as two
    `--set`s of one table do when applied in turn)."""
    old = overrides.get(key)
    if isinstance(old, dict) and isinstance(value, dict):
        value = _merged(old, value)
    overrides[key] = value


def parse_sets(items: Iterable[str], into: dict[str, Any] | None = None) -> dict[str, Any]:
    """`--set KEY=VALUE` texts parsed (`parse_set`) into `into` (default: a new dict)."""
    overrides = {} if into is None else into
    for item in items:
        set_override(overrides, *parse_set(item))
    return overrides


def _override_items(overrides: Overrides | Iterable[str]) -> Iterator[tuple[str, Any]]:
    """(key, value) pairs of an override dict, or of `--set` texts, parsed one at a time."""
    if isinstance(overrides, Mapping):
        yield from overrides.items()
    else:
        for item in overrides:
            yield parse_set(item)


def _coerce(name: str, value: Any, default: Any, items: type = str) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ConfigError(f"config value {name} must be true or false, got {value!r}")
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"config value {name} must be an integer, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"config value {name} must be a number, got {value!r}")
        return float(value)
    if isinstance(default, tuple) and items is int:
        if isinstance(value, str):
            try:
                value = [int(v) for v in value.split(",") if v.strip()]
            except ValueError:
                raise ConfigError(f"config value {name} must be a list of integers") from None
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise ConfigError(f"config value {name} must be a list of integers, got {value!r}")
        return tuple(value)
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"config value {name} must be a list of names, got {value!r}")
        return tuple(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"config value {name} must be text, got {value!r}")
        return value
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"config value {name} must be a table of settings, got {value!r}")
        return _merged(default, value)
    return value


def _merged(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """`base` updated by `update`, nested tables merged rather than replaced."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _unknown(kind: str, name: str, known: list[str]) -> ConfigError:
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return ConfigError(f"unknown {kind} {name!r}{hint} (known: {', '.join(known)})")


def _apply(obj: Any, values: dict[str, Any], prefix: str = "") -> Any:
    names = {f.name: f for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        full = f"{prefix}{key}"
        if key not in names:
            raise _unknown("config key", full, [prefix + n for n in names])
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"config key {full!r} must be a table of settings")
            changes[key] = _apply(current, value, prefix=f"{full}.")
        elif names[key].metadata.get("list_only") and not isinstance(value, list | tuple):
            raise ConfigError(
                f"config value {full} must be a list, e.g. {key} = [{json.dumps(str(value))}], "
                f"got {value!r}"
            )
        else:
            changes[key] = _coerce(full, value, current, names[key].metadata.get("items", str))
    return dataclasses.replace(obj, **changes)


#: Top-level tables of a run config that other commands read (`harness combine` reads
#: [combine]); `harness run` accepts and ignores them.
RUN_FILE_TABLES: tuple[str, ...] = ("combine",)


def load_run_config(
    path: str | Path | None = None,
    overrides: Overrides | Iterable[str] = (),
    *,
    other_tables: tuple[str, ...] = (),
) -> RunConfig:
    """The embedded default, updated by the TOML file (its `[run]` table or top level),
    then by overrides (dotted keys reach nested tables: `{"input.batch_size": 32}`, or the
    `--set` text `input.batch_size=32`).
    `other_tables` are top-level tables another reader takes (an ablation's `[grid]`)."""
    other_tables = tuple(dict.fromkeys((*RUN_FILE_TABLES, *other_tables)))
    config = load_config(RunConfig(), path, overrides, section="run", other_tables=other_tables)
    validate(config)
    return config


def read_toml(path: str | Path, what: str = "config file") -> dict[str, Any]:
    """A TOML file as a dict; a missing, unreadable, non-UTF-8 or malformed file (or a
    folder) is a one-line ConfigError naming it."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        article = "an" if what[:1] in "aeiou" else "a"
        raise ConfigError(f"{path}: is a folder, not {article} {what}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); TOML files are UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None


def load_config(
    default: _Config,
    path: str | Path | None = None,
    overrides: Overrides | Iterable[str] = (),
    *,
    section: str,
    other_tables: tuple[str, ...] = (),
) -> _Config:
    """`default` (a frozen config dataclass) updated by a TOML file, then by `--set` overrides.

    The file's settings are its `[section]` table, else its top level; with a `[section]`
    table, other top-level tables named like a nested settings field of `default` (such as
    `[input]`) join it, and any other top-level name (but `other_tables`) is an error.
    Overrides map dotted keys to values (`{"input.batch_size": 32}`), or are `--set`
    texts `key=value` with TOML values (bare text is a string); dotted keys reach nested
    tables. Unknown keys and ill-typed values are ConfigErrors. Commands validate
    the result themselves.
    """
    config = default
    if path is not None:
        raw = read_toml(path)
        values = {k: v for k, v in raw.items() if k not in other_tables}
        if section in raw:
            values = raw[section]
            if not isinstance(values, dict):
                raise ConfigError(f"{path}: [{section}] must be a table of settings")
            nested = [
                f.name
                for f in dataclasses.fields(default)
                if dataclasses.is_dataclass(getattr(default, f.name)) or f.metadata.get("top_level")
            ]
            known = [section, *nested, *other_tables]
            for name in raw:
                if name not in known:
                    error = _unknown("top-level config table", name, known)
                    raise ConfigError(f"{path}: {error}") from None
            values = {**values, **{k: v for k, v in raw.items() if k in nested}}
        try:
            config = _apply(config, values)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    for key, value in _override_items(overrides):
        nested_values: dict[str, Any] = {}
        cursor = nested_values
        parts = key.split(".")
        for part in parts[:-1]:
            cursor = cursor.setdefault(part, {})
        cursor[parts[-1]] = copy.deepcopy(value)  # the config never shares the caller's
        config = _apply(config, nested_values)
    return config


def validate(config: RunConfig) -> None:
    check_seed("seed", config.seed)
    if config.sample_seed >= 0:  # negative: the sample follows `seed`
        check_seed("sample_seed", config.sample_seed)
    if config.archs < 1:
        raise ConfigError(f"archs must be >= 1, got {config.archs}")
    if config.input.batch_size < 1:
        raise ConfigError(f"input.batch_size must be >= 1, got {config.input.batch_size}")
    if not 0 < config.confidence < 1:
        raise ConfigError(f"confidence must lie in (0, 1), got {config.confidence}")
    if not 0 < config.store_timeout < float("inf"):
        raise ConfigError(
            f"store_timeout must be a number of seconds > 0, got {config.store_timeout}"
        )
    check_time_limits(config.proxy_timeout, config.proxy_timeouts)
    if not 0 <= config.bootstrap_resamples <= MAX_RESAMPLES:
        raise ConfigError(
            f"bootstrap_resamples must be in 0..{MAX_RESAMPLES} (the limit), "
            f"got {config.bootstrap_resamples}"
        )
    check_failure_policy(config.failures)

    executors = executor_names()
    if config.executor not in executors:
        known = f"{', '.join(executors[:-1])} or {executors[-1]}"
        raise ConfigError(f"executor must be {known}, got {config.executor!r}")
    if config.threads < 1 or config.workers < 0:
        raise ConfigError(
            f"threads must be >= 1 and workers >= 0, got {config.threads} and {config.workers}"
        )
    if len(config.seeds) > MAX_SEEDS:
        raise ConfigError(f"seeds: {len(config.seeds)} seeds, more than the limit of {MAX_SEEDS}")
    for value in config.seeds:
        check_seed("seeds", value)
    if len(set(config.seeds)) != len(config.seeds):
        raise ConfigError(f"seeds must be distinct, got {list(config.seeds)}")
    if config.vary_batch and len(config.seeds) < 2:
        raise ConfigError("vary_batch needs several seeds (seeds = [..] or --seeds K)")
    if not config.proxies:
        raise ConfigError("proxies must name at least one proxy (or '*')")


def check_time_limits(timeout: float, timeouts: Mapping[str, Any]) -> None:
    """ConfigError unless `proxy_timeout` and each of `proxy_timeouts` is seconds >= 0
    (0 = no limit), finite."""
    if not 0 <= timeout < float("inf"):
        raise ConfigError(f"proxy_timeout must be a number of seconds >= 0 (0 = no limit), "
                          f"got {timeout}")  # fmt: skip
    for name, value in timeouts.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"proxy_timeouts.{name} must be a number of seconds, got {value!r}")
        if not 0 <= value < float("inf"):
            raise ConfigError(f"proxy_timeouts.{name} must be >= 0 seconds, got {value}")
