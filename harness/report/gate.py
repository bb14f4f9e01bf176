"""The regression gate: did a new run rank architectures worse than the baseline?

For each (space, dataset, target, setting, proxy) in either document and each
statistic named in the rule (`kendall:-0.02,spearman:-0.02`), the change
delta = stat(new) - stat(base) is tested with `harness.stats.compare_runs` on
the stored per-architecture values: a paired bootstrap when both runs scored the
same architectures with the same draw of randomness (run seed and input batch),
an unpaired one (each run resampled on its own) otherwise. A different seed
changes every computed score (initial weights, batch); a bootstrap over the
architectures cannot see that noise, so pairing such runs would call seed noise a
regression. Reference scores shipped with a benchmark file do not depend on the
seed and pair whenever the architectures match.

When a document scored the architectures under several initial-weight seeds (`harness
run --seeds K`), a line is tested on the mean over seeds with the seed-aware test
`harness.stats.compare_seeded_runs`, a two-level bootstrap over seeds and architectures:
seed noise is then measured rather than guessed, so architectures pair whenever both
documents have several seeds and scored the same architectures; seeds pair (the same
seed positions drawn for both) only when both runs used the same seeds and batches. A
document with one seed against one with several contributes no seed noise of its own,
so its architectures are resampled apart, as for two single-seed runs of different seeds.

A line FAILS only when the drop is both larger than the threshold (delta < -|t|)
AND significant (bootstrap p-value < alpha), so seed and sampling noise alone do
not fail CI. A proxy present in one document only is reported ("new" /
"missing"), not failed, unless the caller asks for that. When a document holds
no per-architecture values for a line, the test falls back to the documents'
own intervals: a normal approximation with the half-widths added in quadrature
(said so in the line's `test` column).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.errors import ConfigError
from harness.report import DEFAULT_FAIL_ON
from harness.report.documents import GroupKey, LoadedDocument, ResultGroup, groups_of
from harness.report.failure_policy import row_policy
from harness.report.members import members_note
from harness.results import ResultRow, ResultsDocument
from harness.stats import (
    FIGURES,
    compare_runs,
    compare_seeded_runs,
    difference_from_intervals,
    list_figures,
    policy_values,
)

VERDICT_FAIL = "FAIL"
VERDICT_DROP_NOISE = "drop within noise"
VERDICT_SMALL_DROP = "small drop"
VERDICT_SAME = "no significant change"
VERDICT_BETTER = "improved"
VERDICT_NEW = "new"
VERDICT_MISSING = "missing"
VERDICT_UNDEFINED = "undefined"


@dataclass(frozen=True)
class GateRule:
    """Fail when stat(new) - stat(base) < threshold (a negative number) and significant."""

    statistic: str
    threshold: float


def gate_statistics() -> tuple[str, ...]:
    """The figures a gate rule may name: those with a bootstrap interval, which the
    paired and two-level tests of `harness.stats` recompute (`harness.stats.FIGURES`)."""
    return tuple(f.name for f in list_figures() if f.interval)


def parse_fail_on(text: str) -> tuple[GateRule, ...]:
    """`kendall:-0.02,spearman:-0.02` -> rules; a positive threshold means the same drop."""
    rules = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition(":")
        name = name.strip().lower()
        testable = gate_statistics()
        if not sep or name not in testable:
            raise ConfigError(
                f"--fail-on entry {part!r} must be STAT:THRESHOLD with STAT one of "
                f"{', '.join(testable)} (e.g. kendall:-0.02)"
            )
        try:
            threshold = float(value)
        except ValueError:
            raise ConfigError(f"--fail-on threshold {value!r} of {name} is not a number") from None
        if not math.isfinite(threshold):
            raise ConfigError(f"--fail-on threshold {value!r} of {name} must be finite")
        rules.append(GateRule(statistic=name, threshold=-abs(threshold)))
    if not rules:
        raise ConfigError(f"--fail-on {text!r} names no statistic")
    return tuple(rules)


@dataclass(frozen=True)
class GateLine:
    key: GroupKey
    proxy: str
    statistic: str
    base: float
    new: float
    delta: float
    low: float
    high: float
    p_value: float
    #: "paired bootstrap", "unpaired bootstrap", "intervals (no per-arch values)" or ""
    test: str
    n_base: int
    n_new: int
    threshold: float
    verdict: str

    @property
    def failed(self) -> bool:
        return self.verdict == VERDICT_FAIL


#: Default share of the base's architectures a line of the new run may lack (10%).
DEFAULT_ARCH_TOLERANCE = 0.1


@dataclass(frozen=True)
class GateReport:
    lines: tuple[GateLine, ...]
    notes: tuple[str, ...]
    alpha: float
    rules: tuple[GateRule, ...]
    #: why the gate fails whatever the lines say: a document with no rows, a new run that
    #: ranked fewer architectures than the base (beyond the tolerance)
    problems: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return bool(self.problems) or any(line.failed for line in self.lines)

    @property
    def failures(self) -> tuple[GateLine, ...]:
        return tuple(line for line in self.lines if line.failed)


def _rows_by_key(
    source: LoadedDocument,
) -> dict[tuple[GroupKey, str], tuple[ResultGroup, ResultRow]]:
    found = {}
    for group in groups_of(source):
        for row in group.rows:
            found[(group.key, row.proxy)] = (group, row)
    return found


def _keyed(
    group: ResultGroup, proxy: str, failures: str | None = None
) -> tuple[dict[str, float], dict[str, float]] | None:
    """The proxy's per-architecture scores and truth, keyed by architecture, with the
    failure policy applied (`failures`, else the one the group's row recorded)."""
    values = group.per_arch
    row = group.row(proxy)
    if values is None or proxy not in values.scores or row is None:
        return None

    def numbers(raw) -> np.ndarray:
        return np.array([math.nan if v is None else float(v) for v in raw], dtype=float)

    policy = failures or row_policy(row)
    proxies = [r.proxy for r in group.rows if r.proxy in values.scores]
    prepared = policy_values(
        {p: numbers(values.scores[p]) for p in proxies},
        {r.proxy: r.higher_is_better for r in group.rows},
        policy,
    )
    score = dict(zip(values.archs, prepared[proxy].tolist(), strict=True))
    truth = dict(zip(values.archs, numbers(values.truth).tolist(), strict=True))
    return score, truth


def _value(row: ResultRow, statistic: str) -> float:
    """The figure's value in the row (a typed field or an `extra` entry), NaN if missing."""
    value = FIGURES[statistic].value_of(row)
    return math.nan if value is None else float(value)


def _interval_test(
    base: ResultRow, new: ResultRow, statistic: str, alpha: float
) -> tuple[float, float, float]:
    """(low, high, p) of new - base from the rows' own intervals (normal approximation)."""

    def figure(row: ResultRow) -> tuple[float, float | None, float | None, float]:
        _, low, high = FIGURES[statistic].ends(row)
        return _value(row, statistic), low, high, row.extra.get("confidence", 0.95)

    return difference_from_intervals(figure(base), figure(new), alpha)


def _verdict(delta: float, p_value: float, threshold: float, alpha: float) -> str:
    if not math.isfinite(delta):
        return VERDICT_UNDEFINED
    significant = math.isfinite(p_value) and p_value < alpha
    if delta < threshold:
        return VERDICT_FAIL if significant else VERDICT_DROP_NOISE
    if delta < 0:
        return VERDICT_SMALL_DROP
    if delta > 0 and significant:
        return VERDICT_BETTER
    return VERDICT_SAME


#: How a line was tested (the `test` column).
TEST_PAIRED = "paired bootstrap"
TEST_UNPAIRED_ARCHS = "unpaired bootstrap (different architectures)"
TEST_UNPAIRED_SEEDS = "unpaired bootstrap (seed or batch differs)"
TEST_INTERVALS = "intervals (no per-arch values)"
TEST_SEEDS_PAIRED = "two-level bootstrap (seeds and architectures paired)"
TEST_SEEDS_APART = "two-level bootstrap (architectures paired, seeds apart)"
TEST_SEEDS_UNPAIRED = "two-level bootstrap (unpaired)"


def random_draw(document: ResultsDocument) -> tuple[object, object, object]:
    """What besides the code makes computed scores differ between two runs of the same
    architectures: the initial-weight seeds and the input batches (content hashes)."""
    resolved = document.config.get("resolved") if isinstance(document.config, dict) else None
    resolved = resolved if isinstance(resolved, dict) else {}
    seeds = tuple(document.seeds) if document.seeds else (document.seed,)
    batches = tuple(b.get("input_hash") for b in resolved.get("seed_batches") or ())
    return seeds, resolved.get("input_hash"), batches


@dataclass(frozen=True)
class _Tested:
    base: float
    new: float
    delta: float
    low: float
    high: float
    p_value: float
    test: str
    n_base: int
    n_new: int


def _bootstrap(
    base_values, new_values, row: ResultRow, statistic: str, *, same_draw: bool, alpha: float,
    n_resamples: int, seed: int,
) -> _Tested:  # fmt: skip
    """compare_runs on the stored values; unpaired when the seed or batch differs."""
    new_score, new_truth = new_values
    forced_apart = not same_draw and row.origin == "computed"
    if forced_apart:
        # Seed noise moves every architecture's score, which a bootstrap over the same
        # architectures cannot see: resample the runs apart (wider, conservative).
        new_score = {f"new:{k}": v for k, v in new_score.items()}
        new_truth = {f"new:{k}": v for k, v in new_truth.items()}
    difference = compare_runs(
        *base_values,
        new_score,
        new_truth,
        higher_is_better=row.higher_is_better,
        statistic=statistic,
        n_resamples=n_resamples,
        confidence=1 - alpha,
        seed=seed,
    )
    if difference.paired:
        test = TEST_PAIRED
    else:
        same_archs = set(base_values[0]) == {k[4:] for k in new_score} if forced_apart else False
        test = TEST_UNPAIRED_SEEDS if same_archs else TEST_UNPAIRED_ARCHS
    return _Tested(
        base=difference.baseline, new=difference.candidate, delta=difference.delta,
        low=difference.low, high=difference.high, p_value=difference.p_value, test=test,
        n_base=difference.n_baseline, n_new=difference.n_candidate,
    )  # fmt: skip


def _seed_sets(group: ResultGroup, proxy: str, common: bool) -> list[dict[str, float]] | None:
    """The proxy's scores under each seed of the group's run, keyed by architecture; with
    `common`, NaN wherever some proxy of the group failed under some seed."""
    values = group.per_arch
    sets = values.scores_by_seed(proxy) if values is not None else None
    if sets is None:
        return None

    def numbers(raw) -> np.ndarray:
        return np.array([math.nan if v is None else float(v) for v in raw], dtype=float)

    keep = np.ones(len(values.archs), dtype=bool)
    if common:
        for other in (r.proxy for r in group.rows):
            for scores in values.scores_by_seed(other) or []:
                keep &= np.isfinite(numbers(scores))
    return [
        dict(zip(values.archs, np.where(keep, numbers(scores), np.nan).tolist(), strict=True))
        for scores in sets
    ]


def _seeded(
    base: tuple[ResultGroup, ResultRow], new: tuple[ResultGroup, ResultRow], statistic: str, *,
    same_draw: bool, alpha: float, n_resamples: int, seed: int, failures: str | None,
) -> _Tested | None:  # fmt: skip
    """The seed-aware test when either run has several seeds (None when neither has).
    Failures: `failures`, else the rows' recorded policy where they agree, else "drop"."""
    (base_group, base_row), (new_group, new_row) = base, new
    policy = failures or (
        row_policy(new_row) if row_policy(base_row) == row_policy(new_row) else "drop"
    )
    proxy = new_row.proxy
    common = policy == "common"
    base_sets = _seed_sets(base_group, proxy, common)
    new_sets = _seed_sets(new_group, proxy, common)
    if base_sets is None or new_sets is None or max(len(base_sets), len(new_sets)) < 2:
        return None
    base_truth, new_truth = _keyed(base_group, proxy)[1], _keyed(new_group, proxy)[1]
    if min(len(base_sets), len(new_sets)) < 2:  # one seed: its seed noise is unseen
        new_sets = [{f"new:{k}": v for k, v in s.items()} for s in new_sets]
        new_truth = {f"new:{k}": v for k, v in new_truth.items()}
    difference = compare_seeded_runs(
        base_sets, base_truth, new_sets, new_truth,
        higher_is_better=new_row.higher_is_better, statistic=statistic,
        n_resamples=n_resamples, confidence=1 - alpha, seed=seed,
        failures="drop" if common else policy,
        pair_seeds=same_draw and len(base_sets) == len(new_sets),
    )  # fmt: skip
    if not difference.paired_archs:
        test = TEST_SEEDS_UNPAIRED
    else:
        test = TEST_SEEDS_PAIRED if difference.paired_seeds else TEST_SEEDS_APART
    return _Tested(
        base=difference.baseline, new=difference.candidate, delta=difference.delta,
        low=difference.low, high=difference.high, p_value=difference.p_value, test=test,
        n_base=difference.n_baseline, n_new=difference.n_candidate,
    )  # fmt: skip


def _from_intervals(base_row: ResultRow, new_row: ResultRow, statistic: str, alpha: float):
    before, after = _value(base_row, statistic), _value(new_row, statistic)
    low, high, p_value = _interval_test(base_row, new_row, statistic, alpha)
    return _Tested(
        base=before, new=after, delta=after - before, low=low, high=high, p_value=p_value,
        test=TEST_INTERVALS, n_base=base_row.n, n_new=new_row.n,
    )  # fmt: skip


def _one_sided_line(key, proxy: str, rule: GateRule, row: ResultRow, in_base: bool) -> GateLine:
    value = _value(row, rule.statistic)
    return GateLine(
        key=key, proxy=proxy, statistic=rule.statistic,
        base=value if in_base else math.nan, new=math.nan if in_base else value,
        delta=math.nan, low=math.nan, high=math.nan, p_value=math.nan, test="",
        n_base=row.n if in_base else 0, n_new=0 if in_base else row.n,
        threshold=rule.threshold, verdict=VERDICT_MISSING if in_base else VERDICT_NEW,
    )  # fmt: skip


def compare_documents(
    base: LoadedDocument,
    new: LoadedDocument,
    rules: tuple[GateRule, ...] = parse_fail_on(DEFAULT_FAIL_ON),
    *,
    alpha: float = 0.05,
    n_resamples: int = 1000,
    seed: int = 0,
    pair_across_seeds: bool = False,
    failures: str | None = None,
    arch_tolerance: float = DEFAULT_ARCH_TOLERANCE,
    allow_missing: bool = False,
) -> GateReport:
    """Every change between the two documents, with its verdict under `rules`.

    Architectures a proxy failed on are treated by `failures` ("worst", "drop",
    "common"), else by the policy each document's row recorded ("drop" for documents
    from before policies existed); without per-architecture values the rows' intervals
    are compared as they stand.

    Pairing: paired only when both runs scored the same architectures AND, for scores
    computed by the harness, with the same seed and input batch; otherwise unpaired.
    `pair_across_seeds` pairs whenever the architectures match (seed noise then
    counts as a change: use it to test a deliberate change made with another seed).

    The gate never passes on nothing: a document without rows, a proxy of the base
    missing from the new run (unless `allow_missing`), or a line of the new run over fewer
    architectures than the base's by more than `arch_tolerance` (a share), is a problem
    that fails the report.
    """
    if not 0 < alpha < 1:
        raise ConfigError(f"--alpha must lie in (0, 1), got {alpha}")
    if not 0 <= arch_tolerance <= 1:
        raise ConfigError(f"--arch-tolerance must lie in [0, 1], got {arch_tolerance}")
    base_rows, new_rows = _rows_by_key(base), _rows_by_key(new)
    keys = list(base_rows) + [k for k in new_rows if k not in base_rows]
    same_draw = pair_across_seeds or random_draw(base.document) == random_draw(new.document)
    lines: list[GateLine] = []
    for key in keys:
        group_key, proxy = key
        for rule in rules:
            if key not in new_rows or key not in base_rows:
                row = (base_rows.get(key) or new_rows[key])[1]
                lines.append(_one_sided_line(group_key, proxy, rule, row, key in base_rows))
                continue
            (base_group, base_row), (new_group, new_row) = base_rows[key], new_rows[key]
            base_values = _keyed(base_group, proxy, failures)
            new_values = _keyed(new_group, proxy, failures)
            seeded = None
            if base_values is not None and new_values is not None:
                seeded = _seeded(
                    base_rows[key], new_rows[key], rule.statistic, same_draw=same_draw,
                    alpha=alpha, n_resamples=n_resamples, seed=seed, failures=failures,
                )  # fmt: skip
            if seeded is not None:
                tested = seeded
            elif base_values is not None and new_values is not None:
                tested = _bootstrap(
                    base_values, new_values, new_row, rule.statistic, same_draw=same_draw,
                    alpha=alpha, n_resamples=n_resamples, seed=seed,
                )  # fmt: skip
            else:
                tested = _from_intervals(base_row, new_row, rule.statistic, alpha)
            lines.append(
                GateLine(
                    key=group_key, proxy=proxy, statistic=rule.statistic, base=tested.base,
                    new=tested.new, delta=tested.delta, low=tested.low, high=tested.high,
                    p_value=tested.p_value, test=tested.test, n_base=tested.n_base,
                    n_new=tested.n_new, threshold=rule.threshold,
                    verdict=_verdict(tested.delta, tested.p_value, rule.threshold, alpha),
                )
            )  # fmt: skip
    notes = _pairing_notes(lines, base.document, new.document)
    for verdict, what in ((VERDICT_MISSING, "missing from the new run"), (VERDICT_NEW, "new")):
        names = sorted({f"{line.proxy} ({line.key.title()})" for line in lines
                        if line.verdict == verdict})  # fmt: skip
        if names:
            notes.append(f"{what}: {', '.join(names)}")
    problems = _problems(base, new, lines, arch_tolerance)
    missing = sorted({f"{line.proxy} ({line.key.title()})" for line in lines
                      if line.verdict == VERDICT_MISSING})  # fmt: skip
    if missing and not allow_missing:
        problems += (
            f"proxies of the base are missing from the new run: {', '.join(missing)} "
            "(--allow-missing accepts that)",
        )
    return GateReport(
        lines=tuple(lines), notes=tuple(notes), alpha=alpha, rules=rules, problems=problems
    )


def _problems(
    base: LoadedDocument, new: LoadedDocument, lines: list[GateLine], arch_tolerance: float
) -> tuple[str, ...]:
    problems = [
        f"the {role} document {source.path or source.label} has no rows (its run ranked no "
        "proxy): an empty document cannot pass the gate"
        for role, source in (("base", base), ("new", new))
        if not source.document.rows
    ]
    fewer: dict[tuple[str, str], str] = {}
    for line in lines:
        if line.verdict in (VERDICT_NEW, VERDICT_MISSING) or line.n_base <= 0:
            continue
        if line.n_new < line.n_base * (1 - arch_tolerance):
            fewer.setdefault(
                (line.key.title(), line.proxy),
                f"{line.proxy} ({line.key.title()}) ranked {line.n_new} architectures in the "
                f"new run against {line.n_base} in the base (more than "
                f"{arch_tolerance:.0%} fewer)",
            )
    problems += fewer.values()
    return tuple(problems)


def _pairing_notes(lines: list[GateLine], base: ResultsDocument, new: ResultsDocument) -> list[str]:
    notes = []
    for test, why in (
        (
            TEST_UNPAIRED_ARCHS,
            "the two runs scored different architectures, so the intervals are unpaired "
            "(each run resampled on its own) and wider than a paired test",
        ),
        (
            TEST_UNPAIRED_SEEDS,
            "same architectures, but the runs differ in seed or input batch (seed "
            f"{base.seed} vs {new.seed}): seed noise moves every score, which a bootstrap over "
            "the architectures cannot see, so the runs are resampled apart (unpaired, "
            "conservative); to test a code change paired, rerun with the same seed",
        ),
        (
            TEST_SEEDS_UNPAIRED,
            "at least one run has several initial-weight seeds: figures are means over seeds, "
            "tested by a two-level bootstrap over seeds and architectures; architectures "
            "resampled apart (different architectures, or a run with one seed, whose seed "
            "noise cannot be seen)",
        ),
        (
            TEST_SEEDS_APART,
            "both runs have several initial-weight seeds: figures are means over seeds, tested "
            "by a two-level bootstrap; architectures paired, seeds resampled apart (the runs "
            "differ in seeds or batches)",
        ),
        (
            TEST_SEEDS_PAIRED,
            "both runs have the same initial-weight seeds and batches: figures are means over "
            "seeds, tested by a two-level bootstrap with seeds and architectures paired",
        ),
    ):
        groups = sorted({line.key.title() for line in lines if line.test == test})
        if groups:
            notes.append(f"{'; '.join(groups)}: {why}")
    return notes


def _f(value: float, signed: bool = False) -> str:
    if not math.isfinite(value):
        return "—"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


GATE_HEADER = (
    "space · dataset · target", "proxy", "stat", "base", "new", "Δ", "interval", "p", "test",
    "n base/new", "threshold", "verdict",
)  # fmt: skip


def gate_cells(line: GateLine) -> tuple[str, ...]:
    return (
        line.key.title(),
        line.proxy,
        line.statistic,
        _f(line.base),
        _f(line.new),
        _f(line.delta, signed=True),
        f"[{_f(line.low, True)}, {_f(line.high, True)}]" if math.isfinite(line.low) else "—",
        f"{line.p_value:.3f}" if math.isfinite(line.p_value) else "—",
        line.test or "—",
        f"{line.n_base}/{line.n_new}",
        f"{line.threshold:+g}",
        line.verdict,
    )


def gate_markdown(report: GateReport, base: LoadedDocument, new: LoadedDocument) -> str:
    lines = [
        f"base: {base.document.run_id} ({base.path})",
        f"new:  {new.document.run_id} ({new.path})",
        "rule: fail when Δ < threshold AND p < "
        f"{report.alpha:g} ({', '.join(f'{r.statistic} {r.threshold:+g}' for r in report.rules)})",
        "",
        "| " + " | ".join(GATE_HEADER) + " |",
        "|" + "|".join("---" for _ in GATE_HEADER) + "|",
    ]
    lines += ["| " + " | ".join(gate_cells(line)) + " |" for line in report.lines]
    lines.append("")
    lines += [f"note: {note}" for note in report.notes]
    members = members_note([*base.document.rows, *new.document.rows])
    if members:
        lines.append(f"note: {members}")
    if report.problems:
        lines.append(f"RESULT: FAIL — {'; '.join(report.problems)}")
    elif report.failed:
        failed = ", ".join(f"{f.proxy} {f.statistic} {f.delta:+.3f}" for f in report.failures)
        lines.append(f"RESULT: FAIL — significant drop beyond the threshold: {failed}")
    else:
        lines.append("RESULT: PASS — no drop both beyond the threshold and significant")
    return "\n".join(lines) + "\n"


def gate_records(report: GateReport) -> list[dict]:
    records = []
    for line in report.lines:
        records.append(
            {
                "space": line.key.space, "dataset": line.key.dataset, "target": line.key.target,
                "setting": line.key.setting, "proxy": line.proxy, "statistic": line.statistic,
                "base": line.base, "new": line.new, "delta": line.delta, "low": line.low,
                "high": line.high, "p_value": line.p_value, "test": line.test,
                "n_base": line.n_base, "n_new": line.n_new, "threshold": line.threshold,
                "verdict": line.verdict,
            }
        )  # fmt: skip
    return records
