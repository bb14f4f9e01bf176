"""The sets a learned combination is fitted on and judged on: proxy scores and truth.

A `ScoreSet` is one set of architectures with the per-architecture proxy scores that are
a combination's features (raw, with their signs), the ground truth of one target, the
isomorphism class of every architecture, and the label-free combinations over the set.
Set-level proxies (`tenas`, the label-free combinations) are never features: their values
are ranks over the whole set, training and held-out architectures together.

Three sources: `computed_set` (a run config's proxies, read from the score store through
`harness.experiment.run_experiment`, which scores only what is missing), `results_set`
(the scores a `harness run` results.json recorded) and `reference_set` (the proxy scores
shipped with a table, e.g. Suite-Zero, oriented so that higher is better). `transfer_set`
builds the set a fitted model is carried to.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import ArchitectureError, ConfigError, DataError
from harness.results import ResultsDocument
from harness.spaces import get_space


@dataclass(frozen=True)
class ScoreSet:
    """Proxy scores and truth of one set of architectures (see the module doc)."""

    table: str
    space: str
    #: dataset whose images the proxies saw ("" where unknown)
    score_dataset: str
    target: str
    archs: tuple[str, ...]
    groups: tuple[str, ...]
    truth: np.ndarray
    #: per-architecture proxy -> raw scores (as stored or shipped)
    scores: dict[str, np.ndarray]
    higher_is_better: dict[str, bool]
    #: label-free combination -> (values, row extra)
    label_free: dict[str, tuple[np.ndarray, dict[str, Any]]] = field(default_factory=dict)
    origin: str = "computed"
    #: sha256 of the files read
    data_files: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.table} · {self.target}"

    def __len__(self) -> int:
        return len(self.archs)

    def oriented(self, proxies: Sequence[str], rows: np.ndarray | None = None) -> np.ndarray:
        """(rows x proxies) scores oriented so that higher is better, failures NaN."""
        columns = []
        for proxy in proxies:
            values = np.asarray(self.scores[proxy], dtype=float)
            values = values if self.higher_is_better[proxy] else -values
            columns.append(np.where(np.isfinite(values), values, np.nan))
        matrix = np.column_stack(columns) if columns else np.empty((len(self), 0))
        return matrix if rows is None else matrix[rows]

    def oriented_single(self, proxy: str) -> np.ndarray:
        """One proxy's (or label-free combination's) scores, oriented, failures ranked
        below everything it scored (the default failure policy, docs/failures.md)."""
        if proxy in self.label_free:
            values, sign = np.asarray(self.label_free[proxy][0], dtype=float), True
        else:
            values, sign = np.asarray(self.scores[proxy], dtype=float), self.higher_is_better[proxy]
        oriented = values if sign else -values
        finite = np.isfinite(oriented)
        low = oriented[finite].min() - 1.0 if finite.any() else 0.0
        return np.where(finite, oriented, low)

    def with_truth(self, target: str, truth: np.ndarray) -> ScoreSet:
        return replace(self, target=target, truth=np.asarray(truth, dtype=float))


def select_features(available: Sequence[str], patterns: Sequence[str]) -> list[str]:
    """The available per-architecture proxies matching the patterns, in available order."""
    chosen = [p for p in available if any(fnmatch.fnmatchcase(p, pat) for pat in patterns)]
    unmatched = [pat for pat in patterns if not any(fnmatch.fnmatchcase(p, pat) for p in available)]
    if unmatched:
        raise ConfigError(
            f"combine.features {', '.join(map(repr, unmatched))} match(es) no proxy of the "
            f"scores (available: {', '.join(available)})"
        )
    if len(chosen) < 2:
        raise ConfigError(
            f"a learned combination needs two or more proxies as features, got {chosen}"
        )
    return chosen


def iso_groups(space: str, archs: Sequence[str]) -> tuple[str, ...]:
    """Each architecture's isomorphism class key in its space."""

    module = get_space(space)
    try:
        return tuple(module.iso_key(a) for a in archs)
    except ArchitectureError as exc:
        raise DataError(f"cannot group architectures by isomorphism class: {exc}") from None


def _label_free(
    names: Sequence[str], scores: dict[str, np.ndarray], signs: dict[str, bool]
) -> tuple[dict[str, tuple[np.ndarray, dict[str, Any]]], list[str]]:
    """The label-free combinations the scores can form, and a note for each they cannot
    (fewer than two of its members among the scores): a comparator, not the subject."""
    # deferred: pulls in torch, scipy, tqdm
    from harness.proxies.combinations import combine_available

    out: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}
    notes = []
    for name in names:
        try:
            out.update(combine_available([name], scores, signs))
        except DataError as exc:
            notes.append(f"label-free combination left out: {exc}")
    return out, notes


def _finite_truth(archs: list[str], truth: np.ndarray, where: str) -> tuple[list[str], np.ndarray]:
    keep = np.isfinite(truth)
    if keep.sum() < 10:
        raise DataError(f"{where}: {int(keep.sum())} architectures with a ground truth; too few")
    return [a for a, k in zip(archs, keep, strict=True) if k], truth[keep]


def computed_set(
    run, label_free: Sequence[str], *, data_dir: str | None, run_id: str, progress: bool
):
    """The run's per-architecture proxy scores (store; missing ones scored) and truth.
    Returns (ScoreSet, the run's results document)."""
    # deferred: pulls in torch, pandas, scipy, tqdm
    from harness.experiment import run_experiment
    from harness.proxies.selection import requested_patterns

    outcome = run_experiment(run, data_dir=data_dir, run_id=run_id, progress=progress)
    names = list(dict.fromkeys([*label_free, *requested_patterns(run.proxies, run.combinations)]))
    return document_set(outcome.document, names), outcome.document


def results_set(path: str, label_free: Sequence[str]):
    """The per-architecture scores and truth a `harness run` results document recorded
    (no scoring, no store). Returns (ScoreSet, the document)."""

    document = ResultsDocument.read(Path(path))
    if document.kind != "run" or not document.per_arch:
        raise DataError(
            f"{path}: a {document.kind!r} document without per-architecture scores; "
            "combine.results needs the results.json of a harness run"
        )
    return document_set(document, label_free), document


def document_set(document, label_free: Sequence[str]) -> ScoreSet:
    """A ScoreSet from a run's results document: its per-architecture proxies (rows with
    no members; their signs as the rows record them) and truth."""
    values = document.per_arch[0]
    signs = {
        r.proxy: r.higher_is_better
        for r in document.rows
        if r.proxy in values.scores and not _is_set_level(r.proxy, r.extra)
    }
    scores = {
        p: np.array([np.nan if v is None else v for v in values.scores[p]], dtype=float)
        for p in signs
    }
    truth = np.array([np.nan if v is None else v for v in values.truth], dtype=float)
    table = str(document.config.get("table", "")) or "?"
    archs, truth_kept = _finite_truth(list(values.archs), truth, table)
    keep = np.isfinite(truth)
    scores = {p: s[keep] for p, s in scores.items()}
    combos = [n for n in label_free if _is_combination(n)]
    combinations, label_free_notes = _label_free(combos, scores, signs)
    if values.seeds and len(values.seeds) > 1:
        label_free_notes.append(
            f"the run scored {len(values.seeds)} initial-weight seeds; the features are the "
            f"scores of its first seed ({values.seeds[0]})"
        )
    return ScoreSet(
        table=table,
        space=values.space,
        score_dataset=values.dataset,
        target=values.target,
        archs=tuple(archs),
        groups=iso_groups(values.space, archs),
        truth=truth_kept,
        scores=scores,
        higher_is_better=signs,
        label_free=combinations,
        origin="computed",
        data_files=dict(document.data_files),
        notes=(*document.notes, *label_free_notes),
    )


def _is_set_level(proxy: str, extra: dict[str, Any]) -> bool:
    """Whether a results row is a set-level proxy (its values are ranks over the whole
    set): it names members, or the registry says so (documents from before rows named
    their members)."""
    # deferred: pulls in torch, scipy, tqdm
    from harness.proxies import list_proxies

    if extra.get("members"):
        return True
    if proxy in list_proxies():
        # deferred: pulls in torch, scipy, tqdm
        from harness.proxies import get_proxy

        return get_proxy(proxy).combine is not None
    return False


def _is_combination(name: str) -> bool:
    # deferred: pulls in torch, scipy, tqdm
    from harness.proxies import get_proxy, list_proxies
    from harness.proxies.combinations import is_combination

    if any(c in name for c in "*?[") or name == "standard":
        return False
    return name in list_proxies() and is_combination(get_proxy(name))


def reference_set(
    table_name: str,
    dataset: str,
    target: str,
    label_free: Sequence[str],
    *,
    data_dir: str | None,
    table_options: dict[str, Any] | None = None,
) -> ScoreSet:
    """The reference proxy scores of `dataset` shipped with a table, against `target`
    ("" = the table's default for `dataset`); every score higher-is-better."""
    # deferred: pulls in pandas, scipy
    from harness.leaderboard import check_dataset
    from harness.tables import load_table, resolve_target

    table = load_table(table_name, data_dir, **(table_options or {}))
    refs = table.reference_scores
    if refs.empty:
        raise DataError(f"table {table_name} ships no reference proxy scores")
    available = sorted(set(refs["dataset"]))
    score_dataset = check_dataset(available, dataset, table_name)
    resolved = resolve_target(
        table,
        target,
        registered=table_name,
        dataset=dataset,
        data_dir=data_dir,
        table_options=table_options,
    )  # a `table:target` is joined on the canonical keys
    column = resolved.column
    rows = refs[refs["dataset"] == score_dataset]
    wide = rows.pivot_table(index="arch", columns="proxy", values="score", aggfunc="first")
    # a lower-is-better target (latency) is learned and ranked as its negation
    truth = resolved.oriented_values().reindex(wide.index).to_numpy(dtype=float)
    archs, truth_kept = _finite_truth([str(a) for a in wide.index], truth, f"{table_name} {column}")
    wide = wide.loc[archs]
    scores = {str(p): wide[p].to_numpy(dtype=float) for p in wide.columns}
    signs = dict.fromkeys(scores, True)
    names = [n for n in label_free if _is_combination(n)]
    combinations, label_free_notes = _label_free(names, scores, signs)
    return ScoreSet(
        table=table_name,
        space=table.space,
        score_dataset=score_dataset,
        target=column,
        archs=tuple(archs),
        groups=iso_groups(table.space, archs),
        truth=truth_kept,
        scores=scores,
        higher_is_better=signs,
        label_free=combinations,
        origin="reference",
        data_files={s.name: s.sha256 or "" for s in resolved.table.sources},
        notes=(
            *resolved.table.notes,
            *label_free_notes,
            *([] if resolved.higher_is_better else [f"target {column}: {resolved.orientation}"]),
        ),
    )


@dataclass(frozen=True)
class TransferSet:
    """Where a model fitted on the source is judged: a set, and whether its architectures
    are the source's (then only the held-out ones count) and its scores the very scores
    the model saw (then the training split's rank transform applies; else the set's own)."""

    label: str
    scores: ScoreSet
    same_archs: bool
    same_scores: bool


def transfer_set(
    source: ScoreSet,
    spec: str,
    label_free: Sequence[str],
    *,
    data_dir: str | None,
    table_options: dict[str, Any] | None = None,
) -> TransferSet:
    """The transfer target `spec`: "DATASET" (the source's table: for computed scores the
    same scores against that dataset's truth; for reference scores that dataset's scores
    and truth) or "TABLE:DATASET" (reference scores of another table)."""
    # deferred: pulls in pandas
    from harness.tables import load_table, resolve_target

    table_name, _, dataset = spec.rpartition(":")
    if not dataset:
        raise ConfigError(f"combine.transfer entry {spec!r} must be DATASET or TABLE:DATASET")
    if table_name and table_name != source.table:
        if source.origin != "reference":
            raise ConfigError(
                f"combine.transfer {spec!r}: another table's scores are reference scores; "
                'transfer across tables needs combine.scores = "reference"'
            )
        target = reference_set(table_name, dataset, "", label_free, data_dir=data_dir)
        return TransferSet(spec, target, same_archs=False, same_scores=False)
    if source.origin == "reference":
        target = reference_set(
            source.table, dataset, "", label_free, data_dir=data_dir, table_options=table_options
        )
        return TransferSet(spec, _aligned(source, target), same_archs=True, same_scores=False)
    table = load_table(source.table, data_dir, **(table_options or {}))
    column = resolve_target(table, dataset=dataset).column
    truth = table.frame[column].reindex(list(source.archs)).to_numpy(dtype=float)
    if np.isfinite(truth).sum() < 10:
        raise DataError(f"combine.transfer {spec!r}: too few architectures with {column}")
    return TransferSet(spec, source.with_truth(column, truth), same_archs=True, same_scores=True)


def _aligned(source: ScoreSet, target: ScoreSet) -> ScoreSet:
    """`target` restricted to (and ordered like) the source's architectures it has; the
    source's positions are kept in the order of `source.archs` (NaN truth where absent)."""
    position = {a: i for i, a in enumerate(target.archs)}
    order = [position.get(a, -1) for a in source.archs]
    present = np.array([i >= 0 for i in order])
    take = np.array([max(i, 0) for i in order])

    def pick(values: np.ndarray) -> np.ndarray:
        return np.where(present, np.asarray(values, dtype=float)[take], np.nan)

    return replace(
        target,
        archs=source.archs,
        groups=source.groups,
        truth=pick(target.truth),
        scores={p: pick(v) for p, v in target.scores.items()},
        label_free={n: (pick(v), e) for n, (v, e) in target.label_free.items()},
    )
