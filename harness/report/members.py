"""What the set-level proxies on a leaderboard combine: one line per proxy, from its rows.

Rows of set-level proxies (`tenas`, the label-free combinations of
`harness.proxies.combinations`) carry `extra["members"]` (and, for the combinations,
`extra["combination"]`, the rule, and `extra["weights"]`). Every leaderboard, report
table, gate and ablation that shows such a row lists its members with these lines.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.results import ResultRow

#: How each combination rule reads before its members.
_RULES = {
    "mean_rank": "mean rank of",
    "borda": "Borda count over",
    "median_rank": "median rank of",
    "vote": "pairwise majority vote of",
}


def describe_members(row: ResultRow) -> str | None:
    """`name vN = rule of a, b, c`, or None for a row that is not a set-level proxy."""
    members = row.extra.get("members")
    if not isinstance(members, list) or not members:
        return None
    version = f" v{row.proxy_version}" if row.proxy_version else ""
    kind = row.extra.get("combination")
    weights = row.extra.get("weights")
    if kind == "weighted_rank" and isinstance(weights, dict):
        terms = " + ".join(f"{float(weights[m]):g}×{m}" for m in members if m in weights)
        return f"{row.proxy}{version} = weighted rank sum {terms}"
    rule = _RULES.get(str(kind), "combination of")
    text = f"{row.proxy}{version} = {rule} {', '.join(str(m) for m in members)}"
    absent = row.extra.get("members_absent")
    if isinstance(absent, list) and absent:
        text += f" (members absent from the scores, left out: {', '.join(map(str, absent))})"
    return text


def member_lines(rows: Iterable[ResultRow]) -> list[str]:
    """One line per distinct set-level proxy among `rows`, in order of first appearance."""
    lines: dict[str, str] = {}
    for row in rows:
        text = describe_members(row)
        if text is not None and row.proxy not in lines:
            lines[row.proxy] = text
    return list(lines.values())


def members_note(rows: Iterable[ResultRow]) -> str | None:
    """The members of every set-level proxy among `rows` as one paragraph (None if none)."""
    lines = member_lines(rows)
    if not lines:
        return None
    return (
        "Set-level proxies (ranked within the scored set from their members' scores; no "
        "ground truth used): " + "; ".join(lines) + "."
    )
