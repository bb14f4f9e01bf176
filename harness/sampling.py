"""Which architectures of a table to score: deterministic samples, optionally one per
isomorphism class and stratified by ground-truth quantiles.

The procedure, so a sample can be reproduced by hand:

1. candidates are the table's rows in table order (with a `target`, only rows where it
   is known);
2. a numpy `default_rng(seed)` permutation orders them;
3. with `unique=True`, walking that order keeps the first architecture of each
   isomorphism class (`space.iso_key`) and drops the rest;
4. without stratification the first `n` are the sample; with `stratify="quantiles:K"`
   the pool is cut into K quantile bins of the target, each bin gets `n // K` (the
   remainder goes to bins in an order drawn from the same generator; a bin too small
   for its share passes the rest on), and each bin contributes its first archs in
   permutation order.

The result is in permutation order. Asking for more than exist is a ConfigError, not
a silent shorter sample.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from harness.errors import ConfigError
from harness.spaces import get_space
from harness.tables import BenchmarkTable, Target, parse_target

_QUANTILES = re.compile(r"^quantiles:(\d+)$")


def sample_archs(
    table: BenchmarkTable,
    n: int,
    seed: int,
    *,
    unique: bool = False,
    stratify: str | int | None = None,
    target: str | Target | None = None,
) -> list[str]:
    """`n` canonical keys of `table`, deterministic in `seed` (see the module docstring).

    `stratify` is `"quantiles:K"` or the bin count K; it needs `target` (a ground-truth
    spec for `parse_target`, or a resolved `Target`) unless the table has a single target
    column.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ConfigError(f"sample size must be a non-negative integer, got {n!r}")
    bins = _bin_count(stratify)
    column = None
    if isinstance(target, Target):  # resolved once, by `harness.tables.resolve_target`
        column = target.column
    elif target is not None:
        column = parse_target(target, table)
    elif bins is not None:
        if len(table.targets()) != 1:
            raise ConfigError(
                f"stratified sampling needs a target (available: {', '.join(table.targets())})"
            )
        column = table.targets()[0]
    values = table.frame[column] if column is not None else None
    candidates = table.frame.index if values is None else values.index[values.notna()]
    rng = np.random.default_rng(seed)
    order = [candidates[i] for i in rng.permutation(len(candidates))]
    pool = _first_of_each_class(order, table.space) if unique else order
    if n > len(pool):
        what = "isomorphism classes" if unique else "architectures"
        extra = f" with a known {column}" if column is not None else ""
        raise ConfigError(
            f"cannot sample {n} architectures from table {table.name}: only {len(pool)} "
            f"{what}{extra}"
        )
    if bins is None or n == 0:
        return list(pool[:n])
    assert values is not None
    return _stratified(pool, values.loc[pool], n, bins, rng)


def _bin_count(stratify: str | int | None) -> int | None:
    if stratify is None:
        return None
    if isinstance(stratify, int) and not isinstance(stratify, bool):
        count = stratify
    else:
        match = _QUANTILES.match(str(stratify).strip())
        if not match:
            raise ConfigError(f"unknown stratification {stratify!r}: write quantiles:K")
        count = int(match.group(1))
    if count < 1:
        raise ConfigError(f"stratification needs at least 1 bin, got {count}")
    return count


def _first_of_each_class(order: list[str], space_name: str) -> list[str]:
    space = get_space(space_name)
    seen: set[str] = set()
    kept = []
    for key in order:
        iso = space.iso_key(key)
        if iso not in seen:
            seen.add(iso)
            kept.append(key)
    return kept


def _stratified(
    pool: list[str], values: pd.Series, n: int, bins: int, rng: np.random.Generator
) -> list[str]:
    # rank first so ties never collapse bins; qcut on ranks gives equal-count bins
    ranks = values.rank(method="first").to_numpy()
    labels = pd.qcut(ranks, q=min(bins, len(pool)), labels=False)
    members: dict[int, list[int]] = {}
    for position, label in enumerate(labels):  # pool order = permutation order
        members.setdefault(int(label), []).append(position)
    quota = {label: 0 for label in members}
    remaining = n
    # hand out the sample one round at a time: every bin with room gets n // K, the
    # remainder goes to bins in a random order, and room left unused is redistributed
    while remaining > 0:
        open_bins = [b for b in sorted(members) if quota[b] < len(members[b])]
        share, extra = divmod(remaining, len(open_bins))
        lucky = set(rng.permutation(open_bins)[:extra].tolist())
        for b in open_bins:
            give = min(share + (1 if b in lucky else 0), len(members[b]) - quota[b])
            quota[b] += give
            remaining -= give
    chosen = sorted(p for b in members for p in members[b][: quota[b]])
    return [pool[p] for p in chosen]
