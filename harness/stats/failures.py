"""The failure policy, whole: what figures do with architectures a proxy failed on.

A proxy that returned NaN or inf (or raised) for an architecture has failed on it. The
policies, named here and nowhere else (`FAILURE_POLICIES`, with what each means):

* ``"worst"``: the architecture stays, ranked below every one the proxy scored (all
  failures tied), as NASLib's -1e8 and TE-NAS's 1e5 do;
* ``"drop"``: the architecture is left out of that proxy's figures (and counted);
* ``"common"``: every proxy of a leaderboard is ranked on the architectures where all of
  them succeeded (`common_rows`), then as under "drop".

`harness.stats._rows.usable_rows` applies "drop" and "worst" to one proxy's rows (every
figure goes through it); `common_rows` selects the rows of "common" across proxies;
`policy_values` prepares per-architecture values for a consumer that drops non-finite
rows itself (the gate's tests), with the same worst-fill (`fill_worst`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from harness.stats._rows import FAILURE_POLICIES, check_failure_policy, fill_worst

__all__ = [
    "FAILURE_POLICIES",
    "POLICY_MEANINGS",
    "check_failure_policy",
    "common_rows",
    "fill_worst",
    "policy_values",
]

#: What each policy means, as a leaderboard's header says it.
POLICY_MEANINGS: dict[str, str] = {
    "worst": "an architecture a proxy failed on is ranked below every one it scored",
    "drop": "an architecture a proxy failed on is left out of that proxy's figures",
    "common": "every proxy is ranked on the architectures where all of them succeeded",
}
assert set(POLICY_MEANINGS) == set(FAILURE_POLICIES)


def common_rows(scores: Mapping[str, ArrayLike], failures: str = "common") -> np.ndarray:
    """The rows every figure uses before the per-proxy policy: all of them, or under
    "common" those where every proxy's score is finite (one architecture order)."""
    arrays = [np.asarray(v, dtype=float) for v in scores.values()]
    keep = np.ones(len(arrays[0]) if arrays else 0, dtype=bool)
    if failures != "common":
        return keep
    for values in arrays:
        keep &= np.isfinite(values)
    return keep


def policy_values(
    scores: Mapping[str, ArrayLike], higher_is_better: Mapping[str, bool], failures: str
) -> dict[str, np.ndarray]:
    """Per-proxy score arrays (one architecture order) with the policy applied for a
    consumer that drops non-finite scores: unchanged for "drop"; failures set below every
    finite score (in the proxy's own orientation) for "worst"; architectures with any
    failure set to NaN for every proxy for "common"."""
    check_failure_policy(failures)
    if failures == "drop":
        return {p: np.asarray(v, dtype=float) for p, v in scores.items()}
    if failures == "common":
        keep = common_rows(scores)
        return {p: np.where(keep, np.asarray(v, dtype=float), np.nan) for p, v in scores.items()}
    return {
        proxy: fill_worst(np.asarray(values, dtype=float), higher_is_better[proxy])
        for proxy, values in scores.items()
    }
