"""A table's leaderboard rows: every proxy (and combination) against one target from the
shared bootstrap, figure for figure what one `summarise` per proxy gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.leaderboard import LeaderboardOptions, reference_rows
from harness.stats import common_rows, summarise

PROXIES = ("nwot", "snip", "synflow")


def _long_scores(n: int = 80) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(3)
    archs = [f"a{i:03d}" for i in range(n)]
    truth = pd.Series(np.round(rng.normal(60, 5, n), 1), index=archs)
    frames = []
    for p, (proxy, noise) in enumerate(zip(PROXIES, [1.0, 3.0, 10.0], strict=True)):
        score = truth.to_numpy() + rng.normal(0, noise, n)
        if p == 1:
            score[[2, 9]] = np.nan  # two failures
        frames.append(
            pd.DataFrame({"arch": archs, "proxy": proxy, "score": score, "seconds": 0.1 * p})
        )
    return pd.concat(frames[::-1], ignore_index=True), truth


@pytest.mark.parametrize("failures", ["worst", "drop", "common"])
def test_reference_rows_equal_one_summary_per_proxy(failures):
    scores, truth = _long_scores()
    options = LeaderboardOptions(n_resamples=120, seed=4, failures=failures)
    rows, per_arch = reference_rows(
        scores,
        truth,
        space="nb201",
        dataset="cifar10",
        target="acc",
        options=options,
        combinations=["mean_rank"],
    )
    wide = pd.DataFrame(per_arch.scores, index=per_arch.archs)
    keep = common_rows({p: wide[p].to_numpy() for p in PROXIES}, failures)
    by_proxy = {row.proxy: row for row in rows}
    assert sorted(by_proxy) == ["mean_rank", *PROXIES]
    for proxy in by_proxy:
        expected = summarise(
            wide[proxy].to_numpy()[keep],
            np.asarray(per_arch.truth)[keep],
            n_resamples=120,
            seed=4,
            failures=failures,
        ).to_dict()
        row = by_proxy[proxy]
        for name in ("kendall", "kendall_lo", "kendall_hi", "spearman_lo", "pearson_hi"):
            assert getattr(row, name) == expected[name], (proxy, name)
        assert (row.extra["ndcg_lo"], row.extra["ndcg_hi"]) == (
            expected["ndcg_lo"],
            expected["ndcg_hi"],
        )
        assert row.n_failed == expected["n_failed"]
    assert rows[0].proxy == "nwot"  # best first: the least noisy
