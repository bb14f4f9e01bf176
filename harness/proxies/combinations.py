"""Label-free combinations of proxies: mean rank, Borda, median rank, majority vote and a
user-named weighted rank sum. Set-level proxies, like `tenas`: no ground truth is used.

Each member's scores are oriented by its sign (`higher_is_better`) and ranked within the
scored set, 1 = worst .. n = best, ties sharing their average rank. An architecture a
member failed on (NaN or inf) is ranked below every architecture that member scored, all
such failures tied, as the default failure policy ranks them (docs/failures.md); the
combination is NaN only where every member failed. Every combination is higher-is-better.

- **mean_rank**: the mean of the members' ranks.
- **borda**: the Borda count: per member, one point for every architecture it ranks
  strictly below this one (ties earn no point against each other), summed. On members
  without ties it orders exactly like `mean_rank`; with ties (`params`, `flops` on
  NAS-Bench-201) it counts a tie as no win where `mean_rank` counts it as half.
- **median_rank**: the median of the members' ranks (robust to one member disagreeing).
- **vote**: Abdelfattah et al. (ICLR 2021) vote of synflow, jacov and snip. The paper
  decides each pair of architectures by the majority of the three proxies; as a score per
  architecture we count the pairs it wins by majority, a tied pair counting one half (the
  Copeland score of the pairwise majority). Over other members it is the same rule.
- **weighted_rank**: sum over members of weight x rank, for weights the user names
  (`[combinations.NAME]` with `kind = "weighted_rank"` and `weights = {meco = 2, ...}`).

A run config may define more combinations under user names (any kind, any per-architecture
members): see `define_combinations`. The built-in `mean_rank`, `borda` and `median_rank`
combine the standard suite's per-architecture proxies; `vote` combines synflow, jacov and
snip. A combination's value for an architecture depends on which architectures are in the
set, so it is never a per-architecture score in the store: it is recomputed from the
members' stored scores and kept in the results document with its members.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from harness.errors import ConfigError, DataError
from harness.proxies.base import (
    PROXIES,
    STANDARD_PROXIES,
    ProxySpec,
    get_proxy,
    register_proxy,
    set_level_only,
)

#: What a combination can be, with its one-line description.
KINDS: dict[str, str] = {
    "mean_rank": "mean of the members' ranks within the scored set",
    "borda": "Borda count: architectures each member ranks strictly below, summed",
    "median_rank": "median of the members' ranks within the scored set",
    "vote": "pairwise majority vote of the members; pairs won (a tie counts one half)",
    "weighted_rank": "sum of weight x rank over the members, weights named by the user",
}
#: Version of every combination rule (bump when a rule changes its values).
VERSION = "1"
#: The three proxies of Abdelfattah et al.'s vote.
VOTE_MEMBERS: tuple[str, ...] = ("synflow", "jacov", "snip")
#: Elements of the largest (members x rows x n) array of the pairwise vote.
_VOTE_BLOCK_ELEMENTS = 2**22

#: Names defined by run configs (`define_combinations`), which may be redefined.
_USER_DEFINED: set[str] = set()


def member_ranks(values: ArrayLike, *, higher_is_better: bool, method: str = "average"):
    """Ranks 1 (worst) .. n (best) of one member's scores within the set; failures (NaN,
    inf) are tied below every scored architecture. `method` is scipy's tie rule."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"member scores must be 1-D, got shape {x.shape}")
    oriented = x if higher_is_better else -x
    oriented = np.where(np.isfinite(oriented), oriented, -np.inf)
    return rankdata(oriented, method=method).astype(float)


@dataclass(frozen=True)
class RankCombination:
    """A label-free combination rule over named members; called like a `combine`."""

    kind: str
    members: tuple[str, ...]
    #: weighted_rank only: one weight per member
    weights: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"unknown combination kind {self.kind!r} (known: {', '.join(KINDS)})")
        if len(self.members) < 2 or len(set(self.members)) != len(self.members):
            raise ConfigError(
                f"a {self.kind} combination needs two or more distinct members, got "
                f"{list(self.members)}"
            )
        if self.kind == "weighted_rank":
            if len(self.weights) != len(self.members):
                raise ConfigError("a weighted_rank combination needs one weight per member")
            if not all(np.isfinite(self.weights)) or not any(self.weights):
                raise ConfigError(
                    f"weighted_rank weights must be finite and not all zero, got "
                    f"{list(self.weights)}"
                )
        elif self.weights:
            raise ConfigError(f"a {self.kind} combination takes no weights")

    def describe(self) -> str:
        """One line: the rule and its members (weights included)."""
        if self.kind == "weighted_rank":
            pairs = zip(self.members, self.weights, strict=True)
            terms = " + ".join(f"{w:g}×{m}" for m, w in pairs)
            return f"weighted rank sum {terms}"
        return f"{KINDS[self.kind]}; members: {', '.join(self.members)}"

    def __call__(
        self,
        scores: Mapping[str, ArrayLike],
        higher_is_better: Mapping[str, bool] | None = None,
    ) -> np.ndarray:
        """The combination over the set: `scores` maps each member to its raw scores (all
        of one length); signs come from `higher_is_better`, else from the registry."""
        missing = [m for m in self.members if m not in scores]
        if missing:
            raise ValueError(f"{self.kind}: no scores for member(s) {', '.join(missing)}")
        signs = {
            m: (higher_is_better[m] if higher_is_better else get_proxy(m).higher_is_better)
            for m in self.members
        }
        raw = [np.asarray(scores[m], dtype=float) for m in self.members]
        if len({r.shape for r in raw}) != 1 or raw[0].ndim != 1:
            raise ValueError(f"{self.kind}: member scores must be 1-D arrays of one length")
        method = "min" if self.kind == "borda" else "average"
        ranks = np.vstack(
            [member_ranks(r, higher_is_better=signs[m], method=method)
             for m, r in zip(self.members, raw, strict=True)]
        )  # fmt: skip
        failed_everywhere = ~np.vstack([np.isfinite(r) for r in raw]).any(axis=0)
        combined = self._combine_ranks(ranks)
        combined[failed_everywhere] = np.nan
        return combined

    def _combine_ranks(self, ranks: np.ndarray) -> np.ndarray:
        if self.kind == "mean_rank":
            return ranks.mean(axis=0)
        if self.kind == "borda":
            return (ranks - 1.0).sum(axis=0)  # min-rank - 1 = architectures strictly below
        if self.kind == "median_rank":
            return np.median(ranks, axis=0)
        if self.kind == "weighted_rank":
            return np.asarray(self.weights, dtype=float) @ ranks
        return majority_vote_wins(ranks)


def majority_vote_wins(ranks: np.ndarray) -> np.ndarray:
    """Per architecture (column of `ranks`, members x n), the pairs it wins by the members'
    majority, a pair with as many votes each way counting one half."""
    members, n = ranks.shape
    wins = np.zeros(n)
    rows = max(1, _VOTE_BLOCK_ELEMENTS // max(1, members * n))
    for start in range(0, n, rows):
        block = ranks[:, start : start + rows]
        votes = np.sign(block[:, :, None] - ranks[:, None, :]).sum(axis=0)  # (block, n)
        ties = np.count_nonzero(votes == 0, axis=1) - 1  # less the pair with itself
        wins[start : start + block.shape[1]] = np.count_nonzero(votes > 0, axis=1) + 0.5 * ties
    return wins


def _register(name: str, rule: RankCombination, description: str) -> ProxySpec:
    register_proxy(
        name=name,
        version=VERSION,
        needs=("score_set",),
        higher_is_better=True,
        description=description,
        combines=rule.members,
        combine=rule,
    )(set_level_only(name))
    return PROXIES[name]


#: The per-architecture proxies the label-free combinations combine: the standard suite
#: as it stood before issue 22 added the layer count (tenas is itself a combination), so
#: that mean_rank, borda and median_rank keep their meaning.
STANDARD_MEMBERS: tuple[str, ...] = tuple(
    p for p in STANDARD_PROXIES[: STANDARD_PROXIES.index("swap") + 1] if p != "tenas"
)

_register(
    "mean_rank",
    RankCombination("mean_rank", STANDARD_MEMBERS),
    "label-free: mean rank of the standard suite's per-architecture proxies",
)
_register(
    "borda",
    RankCombination("borda", STANDARD_MEMBERS),
    "label-free: Borda count over the standard suite's per-architecture proxies",
)
_register(
    "median_rank",
    RankCombination("median_rank", STANDARD_MEMBERS),
    "label-free: median rank of the standard suite's per-architecture proxies",
)
_register(
    "vote",
    RankCombination("vote", VOTE_MEMBERS),
    "label-free: majority vote of synflow, jacov and snip (Abdelfattah et al. 2021), pairs won",
)


def is_combination(spec: ProxySpec) -> bool:
    """Whether `spec` is a label-free rank combination (built in or user-named)."""
    return isinstance(spec.combine, RankCombination)


def combination_rule(spec: ProxySpec) -> RankCombination | None:
    return spec.combine if isinstance(spec.combine, RankCombination) else None


def parse_combination(name: str, entry: Any) -> RankCombination:
    """A `[combinations.NAME]` table -> its rule (ConfigError naming what is wrong)."""
    where = f"combinations.{name}"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where} must be a table (kind, members or weights)")
    unknown = set(entry) - {"kind", "members", "weights"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    kind = entry.get("kind", "weighted_rank" if "weights" in entry else None)
    if not isinstance(kind, str):
        raise ConfigError(f"{where}: kind must be one of {', '.join(KINDS)}")
    if kind == "weighted_rank":
        weights = entry.get("weights")
        if not isinstance(weights, Mapping) or not weights or "members" in entry:
            raise ConfigError(
                f"{where}: a weighted_rank names its members with weights = {{proxy = weight, ...}}"
            )
        numbers = (isinstance(w, int | float) and not isinstance(w, bool) for w in weights.values())
        if not all(numbers):
            raise ConfigError(f"{where}: every weight must be a number")
        members, values = tuple(weights), tuple(float(w) for w in weights.values())
    else:
        members = entry.get("members")
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise ConfigError(f"{where}: members must be a list of proxy names")
        if "weights" in entry:
            raise ConfigError(f"{where}: only a weighted_rank takes weights")
        members, values = tuple(members), ()
    try:
        rule = RankCombination(kind, members, values)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    for member in rule.members:
        spec = get_proxy(member)  # unknown names fail with a did-you-mean
        if spec.combine is not None:
            raise ConfigError(
                f"{where}: member {member!r} is itself a set-level proxy; members must be "
                "per-architecture proxies"
            )
    return rule


def define_combinations(table: Mapping[str, Any]) -> list[str]:
    """Register the user-named combinations of a config's `[combinations]` table; returns
    their names. A name may not be a built-in proxy's; redefining a user name replaces it."""
    names = []
    for name, entry in table.items():
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            raise ConfigError(f"combination name {name!r} must be non-empty text")
        if any(c in name for c in "*?[],"):
            raise ConfigError(f"combination name {name!r} may not contain * ? [ ] or ,")
        if name in PROXIES and name not in _USER_DEFINED:
            raise ConfigError(
                f"combinations.{name}: {name!r} is a registered proxy; name the combination "
                "something else"
            )
        rule = parse_combination(name, entry)
        existing = PROXIES.get(name)
        if existing is None or existing.combine != rule:
            PROXIES.unregister(name)
            _register(name, rule, f"label-free (user-named): {rule.describe()}")
            _USER_DEFINED.add(name)
        names.append(name)
    return names


def forget_combinations() -> None:
    """Unregister every user-named combination (the built-in ones stay)."""
    for name in list(_USER_DEFINED):
        PROXIES.unregister(name)
    _USER_DEFINED.clear()


def restrict(rule: RankCombination, available: Iterable[str]) -> tuple[RankCombination, list[str]]:
    """`rule` over those of its members in `available`, and the members left out
    (DataError when fewer than two remain: a combination needs two or more)."""
    have = set(available)
    present = [m for m in rule.members if m in have]
    absent = [m for m in rule.members if m not in have]
    if len(present) < 2:
        raise DataError(
            f"the scores hold {len(present)} of its members "
            f"({', '.join(rule.members)}); a combination needs two or more"
        )
    weights = tuple(w for m, w in zip(rule.members, rule.weights, strict=False) if m in have)
    return RankCombination(rule.kind, tuple(present), weights), absent


def combine_available(
    names: Iterable[str],
    scores: Mapping[str, ArrayLike],
    higher_is_better: Mapping[str, bool],
) -> dict[str, tuple[np.ndarray, dict[str, Any]]]:
    """Each named label-free combination over the member scores at hand: its values and
    what its row records (members used, rule, weights, members absent, version). Members
    missing from `scores` are left out and named; `higher_is_better` gives every sign."""
    out: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}
    for name in names:
        spec = get_proxy(name)
        rule = combination_rule(spec)
        if rule is None:
            raise ConfigError(
                f"{name} is not a label-free combination (harness proxies lists them with "
                "their members)"
            )
        try:
            used, absent = restrict(rule, scores)
        except DataError as exc:
            raise DataError(f"{name}: {exc}") from None
        values = used({m: scores[m] for m in used.members}, higher_is_better=higher_is_better)
        extra: dict[str, Any] = {"members": list(used.members), "combination": used.kind}
        if used.weights:
            extra["weights"] = dict(zip(used.members, used.weights, strict=True))
        if absent:
            extra["members_absent"] = absent
        extra["version"] = spec.version
        out[name] = (values, extra)
    return out
