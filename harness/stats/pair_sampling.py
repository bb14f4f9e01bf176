"""Which pairs to score a pairwise ranking accuracy on: all, uniform random, above a margin.

`pairwise_accuracy(estimate, truth, pairs=...)` takes an (m, 2) array of row indices; the
samplers here make such arrays for rows 0..n-1 of a pool of architectures:

- `all_pairs(n)`: every unordered pair i < j;
- `random_pairs(n, k, seed)`: k distinct unordered pairs drawn uniformly (all pairs when
  k covers them);
- `margin_pairs(n, k, distance, margin, seed)`: RD-NAS's margin sampler, drawn the way its
  code draws: an anchor uniformly, then a partner uniformly until the distance reaches the
  margin (pairs may repeat, as there);
- `pairs_at_least(pairs, distance, margin)`: the given pairs whose distance reaches the
  margin (e.g. all pool pairs above it);
- `index_pairs(keyed, keys)`: pairs of architecture keys (such as the comparisons a search
  made) as row indices into `keys`.

Distances are a caller's function of two index arrays, so this module knows no search
space (for NB201: `harness.spaces.nb201_distance.group_distances`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from harness.errors import ConfigError

#: distance(i, j) -> distances of rows i[k] and j[k], for equal-length index arrays.
PairDistance = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: Rounds of redrawing partners before the remaining anchors are resolved exactly.
_REJECTION_ROUNDS = 64


def _generator(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _check_count(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ConfigError(f"{name} must be a non-negative integer, got {value!r}")


def _row_start(n: int, i: np.ndarray) -> np.ndarray:
    """How many i' < j' pairs come before row i in row-major order."""
    return i * (2 * n - i - 1) // 2


def _pairs_from_linear(n: int, linear: np.ndarray) -> np.ndarray:
    """Unrank linear indices of the i < j pairs (row-major over i) into (i, j) rows."""
    linear = np.asarray(linear, dtype=np.int64)
    b = 2 * n - 1
    i = np.floor((b - np.sqrt(np.maximum(b * b - 8.0 * linear, 0.0))) / 2).astype(np.int64)
    i = np.clip(i, 0, max(n - 2, 0))
    for _ in range(2):  # the float root can be one row off either way
        i = np.where(_row_start(n, i) > linear, i - 1, i)
        i = np.where(_row_start(n, i + 1) <= linear, i + 1, i)
    j = linear - _row_start(n, i) + i + 1
    return np.column_stack([i, j]).astype(np.intp)


def all_pairs(n: int) -> np.ndarray:
    """Every unordered pair (i, j), i < j, of n rows, row-major."""
    _check_count("n", n)
    i, j = np.triu_indices(n, k=1)
    return np.column_stack([i, j]).astype(np.intp)


def random_pairs(n: int, n_pairs: int, seed: int | np.random.Generator) -> np.ndarray:
    """`n_pairs` distinct unordered pairs of n rows, uniform; all pairs if there are fewer."""
    _check_count("n", n)
    _check_count("n_pairs", n_pairs)
    total = n * (n - 1) // 2
    if n_pairs >= total:
        return all_pairs(n)
    linear = np.sort(_generator(seed).choice(total, size=n_pairs, replace=False))
    return _pairs_from_linear(n, linear)


def margin_pairs(
    n: int,
    n_pairs: int,
    distance: PairDistance,
    margin: float,
    seed: int | np.random.Generator,
) -> np.ndarray:
    """`n_pairs` pairs drawn as RD-NAS draws them: anchor uniform, partner uniform among the
    rows at least `margin` away (rejection sampling).

    Anchors with no row that far are redrawn. ConfigError when no pair reaches the margin.
    """
    _check_count("n", n)
    _check_count("n_pairs", n_pairs)
    rng = _generator(seed)
    if n_pairs == 0:
        return np.empty((0, 2), dtype=np.intp)
    if n < 2:
        raise ConfigError(f"margin pairs need at least 2 rows, got {n}")
    anchors = rng.integers(0, n, size=n_pairs)
    partners = rng.integers(0, n, size=n_pairs)
    pending = np.arange(n_pairs)
    for _ in range(_REJECTION_ROUNDS):
        far = distance(anchors[pending], partners[pending]) >= margin
        far &= anchors[pending] != partners[pending]
        pending = pending[~far]
        if pending.size == 0:
            break
        partners[pending] = rng.integers(0, n, size=pending.size)
    rows = np.arange(n)
    for k in pending:  # rare: anchors with few (or no) distant rows, resolved exactly
        while True:
            far_rows = rows[
                (distance(np.full(n, anchors[k]), rows) >= margin) & (rows != anchors[k])
            ]
            if far_rows.size:
                partners[k] = rng.choice(far_rows)
                break
            if not _any_pair_reaches(n, distance, margin):
                raise ConfigError(f"no pair of the {n} rows is at least {margin} apart")
            anchors[k] = rng.integers(0, n)
    return np.column_stack([anchors, partners]).astype(np.intp)


def _any_pair_reaches(n: int, distance: PairDistance, margin: float) -> bool:
    pairs = all_pairs(n)
    return bool(np.any(distance(pairs[:, 0], pairs[:, 1]) >= margin))


def pairs_at_least(pairs: np.ndarray, distance: PairDistance, margin: float) -> np.ndarray:
    """The rows of `pairs` whose distance is at least `margin`."""
    pairs = np.asarray(pairs, dtype=np.intp).reshape(-1, 2)
    if pairs.size == 0:
        return pairs
    return pairs[distance(pairs[:, 0], pairs[:, 1]) >= margin]


def index_pairs(
    keyed: Iterable[tuple[str, str]], keys: Sequence[str] | Mapping[str, int]
) -> np.ndarray:
    """Pairs of keys as row indices into `keys`; pairs of one key with itself are dropped.

    Every key must be in `keys` (ValueError naming the first that is not).
    """
    position = keys if isinstance(keys, Mapping) else {k: i for i, k in enumerate(keys)}
    rows = []
    for first, second in keyed:
        if first == second:
            continue
        for key in (first, second):
            if key not in position:
                raise ValueError(f"pair member {key!r} is not among the keys")
        rows.append((position[first], position[second]))
    return np.asarray(rows, dtype=np.intp).reshape(len(rows), 2)
