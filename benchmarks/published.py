"""Our correlations beside the published NAS-Bench-201 figures and the Suite-Zero files' own.

    python3 benchmarks/published.py reports/fidelity/seeds5_fixed reports/fidelity/pub_* \\
        --data-dir ../shared/data --out reports/fidelity/published

Reads results documents of `harness run` (folders or results.json files; it scores
nothing itself) and prints two Markdown tables:

1. every NB201 figure of `../shared/docs/PROXIES.md` section 4 (the anchors below, copied
   with their sources), beside our figure for the same proxy, data set and statistic:
   from the run whose network variant and scoring data set match the source's setting
   (the run with the most seeds, then the most architectures), correlated with the
   ground truth the source used (test accuracy from the NB201 table, or validation
   accuracy from the Suite-Zero file), failures ranked worst (as NASLib's -1e8);
2. the Suite-Zero file's own proxy scores against its `val_accuracy`, on all its rows and
   on the architectures of our run, beside our scores of those architectures, the paired
   bootstrap test of our rho minus the file's on those architectures (rows where either
   failed left out; `†`: the interval excludes 0) and scipy's Kendall tau between our
   scores and the file's (how alike the two rank the same architectures).

VKDNW's table 1 (Týbl & Neumann, CVPR 2025, sources V-τ, V-ρ, V-n: every method re-run
with its authors' code on the 9,445 NB201 cells without an unreachable operation, 5 runs,
test accuracy) and AZ-NAS's own NB201 figures (source AZ) are **whole-space** figures on
CIFAR-10 / CIFAR-100 / ImageNet16-120 batches; ours are a sample (200 cells by default),
scored on the batch the run used (Fashion-MNIST by default), until other issues close that
gap. Their nDCG is VKDNW's nDCG@1000 of 9,445 cells, ours nDCG@10% of the run's sample
(`harness.stats.ndcg`). Their proxies new to the harness (`PENDING_PROXIES`) show "not
run" until a run scores them.

Our interval is the 95 % percentile bootstrap over architectures (1,000 resamples), or,
for a run with several seeds, the two-level bootstrap over seeds and architectures (the
figure is then the mean over seeds). `†` marks a published figure outside our interval.
Sources marked "abs" print |rho|: ours is then |rho| with the interval folded the same
way. A source figure quoted for the raw NTK condition number (lower is better) is
printed for -kappa, as the harness orients it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from harness.errors import HarnessError
from harness.leaderboard import wide_scores
from harness.report.documents import load_documents
from harness.results import ResultsDocument
from harness.stats import compare_proxies, seed_correlations, summarise
from harness.tables import load_table
from harness.tables.suite_zero import HARNESS_PROXY

DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
#: Ground-truth columns: the NB201 table's test accuracy, the Suite-Zero file's validation.
TEST = {d: f"{d}/accuracy/test/200" for d in DATASETS}
VALID = {
    "cifar10": "cifar10-valid/accuracy/valid/200",
    "cifar100": "cifar100/accuracy/valid/200",
    "ImageNet16-120": "ImageNet16-120/accuracy/valid/200",
}
#: The data set a run scored on (its network's classes and input size) for its target.
_SCORED_ON = {"cifar10": "cifar10", "cifar10-valid": "cifar10", "cifar100": "cifar100"}


#: Proxies an anchor may name before the harness registers them: VKDNW's and AZ-NAS's
#: (issue 22 item 1, implemented under these names), and VKDNW_single (eq. 12: the layer
#: count plus the entropy), which no proxy computes yet. A run that scores none of them
#: shows "not run".
PENDING_PROXIES: frozenset[str] = frozenset()  # every proxy of the tables above is built
#: How a statistic is written in the table.
SYMBOLS = {"kendall": "τ", "spearman": "ρ", "ndcg": "nDCG"}


@dataclass(frozen=True)
class Source:
    key: str
    what: str
    statistic: str  # kendall | spearman | ndcg
    target: str  # test | valid
    network: str  # the harness network variant closest to the source's
    absolute: bool = False


SOURCES = {
    s.key: s
    for s in (
        Source("A", "Abdelfattah et al. ICLR'21 (foresight notebook), all 15,625 cells, |ρ|",
               "spearman", "test", "proxy_bn", absolute=True),
        Source("Z", "NAS-Bench-Suite-Zero Fig. 2, 1,000 random cells", "spearman", "valid",
               "proxy_bn"),
        Source("C-τ", "ZiCo ICLR'23 Tables 1/3, NATS-TSS", "kendall", "test", "as_trained"),
        Source("C-ρ", "ZiCo ICLR'23 Tables 1/3, NATS-TSS", "spearman", "test", "as_trained"),
        Source("B", "White et al. ICLR'22 blog Table 1, 1,000 cells", "spearman", "valid",
               "proxy_bn"),
        Source("S", "SWAP ICLR'24 abstract", "spearman", "valid", "as_trained"),
        Source("T", "TE-NAS ICLR'21 Figs. 1 and 3 (accuracy axis ≈ CIFAR-100)", "kendall",
               "test", "as_trained"),
        Source("M", "MeCo NeurIPS'23 Tables 1–2 (second-hand)", "spearman", "test",
               "proxy_bn"),
        *(Source(key, f"VKDNW CVPR'25 Table 1, 9,445 cells (whole space), 5 runs{what}",
                 statistic, "test", "as_trained")
          for key, statistic, what in (
              ("V-τ", "kendall", ""), ("V-ρ", "spearman", ""),
              ("V-n", "ndcg", ", nDCG@1000 (ours: nDCG@10% of the sample)"))),
        Source("AZ-τ", "AZ-NAS CVPR'24, its repository's NB201/tss_general.ipynb output "
               "(seed 1, all 15,625 cells)", "kendall", "test", "as_trained"),
        Source("AZ-ρ", "AZ-NAS CVPR'24: CIFAR-10 as AZ-τ; CIFAR-100, ImageNet16-120 its "
               "paper's NB201 table at two digits (as quoted by wizwand.com)", "spearman",
               "test", "as_trained"),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Anchor:
    source: str
    label: str  # the proxy as the source names it
    proxy: str  # the harness proxy closest to the source's convention
    values: tuple[float | None, float | None, float | None]  # CIFAR-10, CIFAR-100, IN16-120
    note: str = ""


def _anchors(source: str, rows: list[tuple]) -> list[Anchor]:
    return [Anchor(source, *row) for row in rows]


# Figures copied from ../shared/docs/PROXIES.md section 4 (NB201 table).
ANCHORS: tuple[Anchor, ...] = tuple(
    _anchors("A", [
        ("synflow", "synflow_nobn", (0.737, 0.763, 0.751)),
        ("snip", "snip", (0.596, 0.637, 0.578)),
        ("grasp", "grasp", (0.514, 0.547, 0.549)),
        ("fisher", "fisher_fanin", (0.360, 0.385, 0.327)),
        ("grad_norm", "grad_norm", (0.594, 0.637, 0.578)),
        ("jacov", "jacov", (0.731, 0.704, 0.701)),
    ])
    + _anchors("Z", [
        ("synflow", "synflow_nobn", (0.73, 0.76, 0.75)),
        ("snip", "snip", (0.58, 0.63, 0.57)),
        ("grasp", "grasp", (0.51, 0.54, 0.55)),
        ("fisher", "fisher_fanin", (0.50, 0.54, 0.48)),
        ("grad_norm", "grad_norm", (0.58, 0.63, 0.57)),
        ("jacov", "jacov", (0.75, 0.71, 0.71)),
        ("plain", "plain", (-0.26, -0.21, -0.22)),
        ("l2_norm", "l2_norm", (0.68, 0.72, 0.69)),
        ("params", "params", (0.72, 0.73, 0.69)),
        ("flops", "flops", (0.69, 0.71, 0.67)),
        ("nwot", "nwot", (0.77, 0.80, 0.77)),
        ("epe_nas", "epe_nas", (0.70, 0.60, 0.33)),
        ("zen", "zen", (0.35, 0.35, 0.39)),
    ])
    + [
        anchor
        for label, proxy, taus, rhos in [
            ("synflow", "synflow", (0.54, 0.57, 0.56), (0.73, 0.76, 0.75)),
            ("snip", "snip", (0.46, 0.46, 0.43), (0.63, 0.63, 0.58)),
            ("grasp", "grasp", (0.37, 0.36, 0.40), (0.54, 0.51, 0.56)),
            ("fisher", "fisher", (0.40, 0.41, 0.37), (0.55, 0.55, 0.50)),
            ("grad_norm", "grad_norm", (0.46, 0.47, 0.43), (0.63, 0.63, 0.58)),
            ("params", "params", (0.57, 0.55, 0.52), (0.75, 0.73, 0.69)),
            ("flops", "flops", (0.54, 0.51, 0.49), (0.73, 0.71, 0.67)),
            ("nwot", "nwot", (0.58, 0.62, 0.60), (0.77, 0.80, 0.78)),
            ("zen", "zen", (0.29, 0.28, 0.29), (0.38, 0.36, 0.40)),
            ("NTK κ (as −κ)", "ntk_cond", (0.33, 0.33, 0.46), (0.44, 0.43, 0.63)),
            ("ZiCo", "zico", (0.61, 0.61, 0.60), (0.80, 0.81, 0.79)),
        ]
        for anchor in (Anchor("C-τ", label, proxy, taus), Anchor("C-ρ", label, proxy, rhos))
    ]
    + _anchors("B", [
        ("synflow", "synflow_nobn", (None, 0.794, None)),
        ("snip", "snip", (None, 0.679, None)),
        ("grasp", "grasp", (None, 0.632, None)),
        ("fisher", "fisher_fanin", (None, 0.610, None)),
        ("grad_norm", "grad_norm", (None, 0.678, None)),
        ("jacov", "jacov", (None, 0.719, None)),
        ("params", "params", (None, 0.735, None)),
        ("flops", "flops", (None, 0.714, None)),
    ])
    + _anchors("S", [
        ("nwot", "nwot", (None, 0.80, None)),
        ("SWAP, regularised", "swap_reg", (None, 0.90, None)),
    ])
    + _anchors("T", [
        ("NTK κ: τ = −0.42, as −κ", "ntk_cond", (None, 0.42, None)),
        ("#linear regions", "linear_regions", (None, 0.50, None)),
    ])
    + _anchors("M", [("MeCo", "meco", (0.894, 0.883, 0.845))])
    # VKDNW CVPR'25 Table 1 (its README's table1.png, github:ondratybl/VKDNW@6901b65):
    # (label, proxy, τ, ρ, nDCG), each on CIFAR-10, CIFAR-100, ImageNet16-120. Type S
    # (single ranking) unless marked A (aggregated over the set of candidates). Its
    # "model-driven" rows (GRAF, VKDNW_m, ...) train a model on labelled cells and are left out.
    + [
        Anchor(source, label, proxy, values)
        for label, proxy, taus, rhos, ndcgs in [
            ("FLOPs", "flops", (0.623, 0.586, 0.545), (0.799, 0.763, 0.718),
             (0.745, 0.576, 0.403)),
            ("GradNorm", "grad_norm", (0.328, 0.341, 0.310), (0.438, 0.451, 0.418),
             (0.509, 0.278, 0.265)),
            ("GraSP", "grasp", (0.352, 0.349, 0.359), (0.505, 0.498, 0.502),
             (0.518, 0.284, 0.281)),
            ("SNIP", "snip", (0.431, 0.440, 0.389), (0.591, 0.597, 0.521),
             (0.513, 0.286, 0.286)),
            ("SynFlow", "synflow", (0.561, 0.553, 0.531), (0.758, 0.750, 0.719),
             (0.709, 0.594, 0.511)),
            ("Jacov", "jacov", (0.616, 0.639, 0.602), (0.800, 0.820, 0.779),
             (0.540, 0.402, 0.356)),
            ("NASWOT", "nwot", (0.571, 0.607, 0.605), (0.762, 0.799, 0.794),
             (0.607, 0.475, 0.490)),
            ("ZenNAS", "zen", (0.102, 0.079, 0.091), (0.103, 0.072, 0.109),
             (0.120, 0.115, 0.073)),
            # GradSign: its own paper's ρ (VKDNW's †), no τ or nDCG; made with its own
            # code's sum over weights (`grad_conflict`), i.e. our gradsign_sum
            ("GradSign (its paper's)", "gradsign_sum", (None, None, None),
             (0.765, 0.793, 0.783), (None, None, None)),
            ("ZiCo", "zico", (0.607, 0.614, 0.587), (0.802, 0.809, 0.779),
             (0.751, 0.607, 0.523)),
            ("TE-NAS (A)", "tenas", (0.536, 0.537, 0.523), (0.722, 0.723, 0.709),
             (0.602, 0.327, 0.330)),
            ("AZ-NAS (A)", "az_nas", (0.712, 0.696, 0.673), (0.892, 0.880, 0.859),
             (0.749, 0.549, 0.534)),
            ("No. of trainable layers ℵ", "layers", (0.626, 0.646, 0.623),
             (0.767, 0.787, 0.764), (0.671, 0.525, 0.497)),
            ("VKDNW_single (ℵ + entropy)", "vkdnw_single", (0.618, 0.634, 0.622),
             (0.815, 0.829, 0.814), (0.751, 0.617, 0.608)),
            ("VKDNW_agg (A)", "vkdnw_agg", (0.750, 0.753, 0.743), (0.919, 0.919, 0.906),
             (0.785, 0.636, 0.664)),
        ]
        for source, values in (("V-τ", taus), ("V-ρ", rhos), ("V-n", ndcgs))
        if any(v is not None for v in values)
    ]
    # AZ-NAS's own NB201 figures (github:cvlab-yonsei/AZ-NAS@5e6683a): CIFAR-10 printed by
    # NB201/tss_general.ipynb; CIFAR-100 / ImageNet16-120 ρ from its paper at two digits;
    # its τ there is not in a copy we could read, so left out
    + _anchors("AZ-τ", [("AZ-NAS", "az_nas", (0.741, None, None))])
    + _anchors("AZ-ρ", [("AZ-NAS", "az_nas", (0.913, 0.90, 0.89))])
)  # fmt: skip


@dataclass(frozen=True)
class Run:
    """A results document reduced to what the comparison needs."""

    label: str
    variant: str
    dataset: str  # the data set the network scored on
    archs: list[str]
    scores: dict[str, np.ndarray]  # proxy -> (seeds x archs)
    seeds: int
    higher_is_better: dict[str, bool]


def runs_of(paths: list[str]) -> list[Run]:
    runs = []
    for source in load_documents(paths):
        document: ResultsDocument = source.document
        if document.kind != "run" or not document.per_arch:
            continue
        values = document.per_arch[0]
        scored_on = _SCORED_ON.get(values.dataset, values.dataset)
        if scored_on.lower() == "imagenet16-120":
            scored_on = "ImageNet16-120"
        scores = {}
        for proxy in values.scores:
            by_seed = values.scores_by_seed(proxy) or []
            scores[proxy] = np.array(
                [[np.nan if v is None else v for v in seed] for seed in by_seed], dtype=float
            )
        runs.append(
            Run(
                label=str(source.path.parent.name if source.path else document.run_id),
                variant=str(document.config.get("network_variant", "as_trained")),
                dataset=scored_on,
                archs=list(values.archs),
                scores=scores,
                seeds=len(values.seeds or [document.seed]),
                higher_is_better={r.proxy: r.higher_is_better for r in document.rows},
            )
        )
    return runs


def pick_run(runs: list[Run], proxy: str, dataset: str, variant: str) -> Run | None:
    """The run that scored `proxy` on `dataset` with `variant`: most seeds, then most archs."""
    fitting = [
        r for r in runs if r.dataset == dataset and r.variant == variant and proxy in r.scores
    ]
    return max(fitting, key=lambda r: (r.seeds, len(r.archs)), default=None)  # fmt: skip


@dataclass(frozen=True)
class Figure:
    estimate: float
    low: float
    high: float
    n: int
    seeds: int


def figure(scores: np.ndarray, truth: np.ndarray, statistic: str, higher_is_better: bool,
           *, absolute: bool = False, n_resamples: int = 1000) -> Figure:  # fmt: skip
    """The statistic with its interval (two-level when `scores` has several seed rows)."""
    known = np.isfinite(truth)
    scores, truth = scores[:, known], truth[known]
    options = dict(higher_is_better=higher_is_better, n_resamples=n_resamples, seed=0,
                   failures="worst")  # fmt: skip
    if scores.shape[0] > 1:
        interval = getattr(seed_correlations(scores, truth, **options), statistic)
        estimate, low, high = interval.estimate, interval.low, interval.high
    else:
        summary = summarise(scores[0], truth, **options)
        estimate = getattr(summary, statistic)
        low, high = getattr(summary, f"{statistic}_lo"), getattr(summary, f"{statistic}_hi")
    if absolute and estimate < 0:
        estimate, low, high = -estimate, -high, -low
    return Figure(float(estimate), float(low), float(high), int(truth.size), scores.shape[0])


class Truths:
    """Ground truth by architecture: the NB201 table's test accuracy, Suite-Zero's val."""

    def __init__(self, data_dir: str | None):
        self.test = load_table("nb201-csv", data_dir)
        self.suite_zero = load_table("suite-zero-nb201", data_dir)

    def of(self, archs: list[str], dataset: str, target: str) -> np.ndarray:
        table, column = (self.test, TEST[dataset]) if target == "test" else (
            self.suite_zero, VALID[dataset])  # fmt: skip
        return table.column(column).reindex(archs).to_numpy(dtype=float)


def _cell(value: float | None, ours: Figure | None) -> tuple[str, str]:
    if value is None:
        return "", ""
    theirs = f"{value:.3f}"
    if ours is None:
        return theirs, "not run"
    outside = not (ours.low <= value <= ours.high)
    return theirs, f"{ours.estimate:.3f} [{ours.low:.3f}, {ours.high:.3f}]{' †' if outside else ''}"


def published_table(runs: list[Run], truths: Truths, n_resamples: int) -> tuple[str, list[dict]]:
    header = ["source", "proxy (theirs → ours)", "stat"]
    for dataset in DATASETS:
        header += [f"{dataset} theirs", f"{dataset} ours [95% CI]"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    records = []
    for anchor in ANCHORS:
        source = SOURCES[anchor.source]
        symbol = "|ρ|" if source.absolute else SYMBOLS[source.statistic]
        cells = [source.key, f"{anchor.label} → {anchor.proxy}", symbol]
        for dataset, value in zip(DATASETS, anchor.values, strict=True):
            ours, run = None, None
            if value is not None:
                run = pick_run(runs, anchor.proxy, dataset, source.network)
            if run is not None:
                truth = truths.of(run.archs, dataset, source.target)
                ours = figure(run.scores[anchor.proxy], truth, source.statistic,
                              run.higher_is_better.get(anchor.proxy, True),
                              absolute=source.absolute, n_resamples=n_resamples)  # fmt: skip
            cells += list(_cell(value, ours))
            if value is not None:
                records.append({
                    "source": source.key, "label": anchor.label, "proxy": anchor.proxy,
                    "dataset": dataset, "statistic": source.statistic, "theirs": value,
                    "ours": None if ours is None else ours.__dict__,
                    "run": None if run is None else run.label,
                    "target": source.target, "network": source.network,
                })  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + inside_counts(records) + "\n", records


def inside_counts(records: list[dict]) -> str:
    """How many published figures lie inside our interval, per data set (those we ran)."""
    parts = []
    for dataset in DATASETS:
        ran = [r for r in records if r["dataset"] == dataset and r["ours"] is not None]
        inside = sum(r["ours"]["low"] <= r["theirs"] <= r["ours"]["high"] for r in ran)
        parts.append(f"{dataset} {inside} of {len(ran)}")
    return "Published figures inside our interval: " + "; ".join(parts) + "."


def _reference(truths: Truths, dataset: str) -> tuple[dict[str, dict[str, float]], list[str]]:
    scores = truths.suite_zero.reference_scores
    scores = scores[scores["dataset"] == dataset]
    wide = wide_scores(scores)
    return {p: wide[p].to_dict() for p in wide.columns}, list(wide.index)


def agreement(ours: np.ndarray, theirs: np.ndarray) -> float:
    """scipy's Kendall tau between our oriented scores and the file's, where both exist."""
    both = np.isfinite(ours) & np.isfinite(theirs)
    if both.sum() < 3:
        return math.nan
    return float(stats.kendalltau(ours[both], theirs[both])[0])


def suite_zero_table(runs: list[Run], truths: Truths, n_resamples: int) -> tuple[str, list[dict]]:
    header = ["data set", "proxy (file → ours)", "file, all rows: ρ / τ (n)",
              "file, our archs: ρ / τ", "ours: ρ [95% CI] / τ", "Δρ ours − file [95% CI, paired]",
              "τ(ours, file)", "our run (n)"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    records = []
    for dataset in DATASETS:
        reference, all_archs = _reference(truths, dataset)
        truth_all = truths.of(all_archs, dataset, "valid")
        for proxy in sorted(reference, key=lambda p: -_rho(reference[p], all_archs, truth_all)):
            theirs_all = [
                figure(np.array([[reference[proxy].get(a, np.nan) for a in all_archs]]),
                       truth_all, s, True, n_resamples=1) for s in ("spearman", "kendall")
            ]  # fmt: skip
            harness_proxy = HARNESS_PROXY.get(proxy, proxy)
            run = pick_run(runs, harness_proxy, dataset, "proxy_bn")
            cells = [dataset, f"{proxy} → {harness_proxy}",
                     f"{theirs_all[0].estimate:.3f} / {theirs_all[1].estimate:.3f} "
                     f"({theirs_all[0].n})"]  # fmt: skip
            record = {"dataset": dataset, "proxy": proxy, "harness_proxy": harness_proxy,
                      "file_all": [f.__dict__ for f in theirs_all]}  # fmt: skip
            if run is None:
                cells += ["", "not run", "", "", ""]
            else:
                cells += _same_archs_cells(run, harness_proxy, reference[proxy], truths, dataset,
                                           n_resamples, record)  # fmt: skip
            lines.append("| " + " | ".join(cells) + " |")
            records.append(record)
    return "\n".join(lines) + "\n", records


def _same_archs_cells(run: Run, proxy: str, reference: dict[str, float], truths: Truths,
                      dataset: str, n_resamples: int, record: dict) -> list[str]:  # fmt: skip
    """Our scores of the run's architectures beside the file's scores of the same ones."""
    truth = truths.of(run.archs, dataset, "valid")
    theirs = np.array([reference.get(a, np.nan) for a in run.archs])
    higher_is_better = run.higher_is_better.get(proxy, True)
    theirs_same = [
        figure(theirs[None, :], truth, s, True, n_resamples=1) for s in ("spearman", "kendall")
    ]
    ours = [
        figure(run.scores[proxy], truth, s, higher_is_better, n_resamples=n_resamples)
        for s in ("spearman", "kendall")
    ]
    first = run.scores[proxy][0]
    difference = compare_proxies(first, theirs, truth, higher_is_better_a=higher_is_better,
                                 statistic="spearman", n_resamples=n_resamples, seed=0)  # fmt: skip
    apart = not difference.low <= 0 <= difference.high
    oriented = first if higher_is_better else -first
    agreed = agreement(oriented, theirs)
    record.update(file_our_archs=[f.__dict__ for f in theirs_same],
                  ours=[f.__dict__ for f in ours], run=run.label,
                  paired_difference=difference.__dict__, agreement=agreed)  # fmt: skip
    return [
        f"{theirs_same[0].estimate:.3f} / {theirs_same[1].estimate:.3f}",
        f"{ours[0].estimate:.3f} [{ours[0].low:.3f}, {ours[0].high:.3f}] / {ours[1].estimate:.3f}",
        f"{difference.delta:+.3f} [{difference.low:+.3f}, {difference.high:+.3f}]"
        + (" †" if apart else ""),
        f"{agreed:.3f}",
        f"{run.label} ({ours[0].n})",
    ]


def _rho(scores: dict[str, float], archs: list[str], truth: np.ndarray) -> float:
    value = figure(np.array([[scores.get(a, np.nan) for a in archs]]), truth, "spearman", True,
                   n_resamples=1).estimate  # fmt: skip
    return value if math.isfinite(value) else -math.inf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", help="results documents or folders of runs")
    parser.add_argument("--data-dir", help="benchmark files (default: $HARNESS_DATA, ./data)")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--out", help="folder for published.md and published.json")
    args = parser.parse_args(argv)
    runs = runs_of(args.results)
    if not runs:
        print("published.py: no run documents among the results given", file=sys.stderr)
        return 2
    truths = Truths(args.data_dir)
    published, published_records = published_table(runs, truths, args.resamples)
    suite_zero, suite_zero_records = suite_zero_table(runs, truths, args.resamples)
    used = "\n".join(
        f"- {r.label}: {r.variant}, scored on {r.dataset}, {len(r.archs)} archs, {r.seeds} seed(s)"
        for r in runs
    )
    text = (
        f"Runs read:\n{used}\n\n## Published NB201 figures\n\n{published}\n"
        f"## Suite-Zero files' own scores vs their val_accuracy\n\n{suite_zero}"
    )
    print(text, end="")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "published.md").write_text(text)
        (out / "published.json").write_text(
            json.dumps(
                {"published": published_records, "suite_zero": suite_zero_records},
                indent=2,
                allow_nan=True,
            )
            + "\n"  # fmt: skip
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HarnessError as exc:  # a user error: one line, status 2
        print(f"{Path(sys.argv[0]).name}: {exc}", file=sys.stderr)
        sys.exit(2)
