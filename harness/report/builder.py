"""`build_report`: results documents -> figures, CSVs, report.md and a self-contained report.html.

Sections: an overview (documents, heat map of Kendall tau over every group), one
section per document (tables and figures by kind: leaderboard/run/search rows,
ablation sweeps, distillation curves) and the provenance of every document. Every
figure's caption carries the provenance line of each document it was drawn from.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from harness.report.ablation_summary import (
    Sensitivity,
    SettingChange,
    sensitivities,
    setting_changes,
)
from harness.report.documents import (
    LoadedDocument,
    ResultGroup,
    data_summary,
    groups_of,
    provenance_line,
    short_revision,
)
from harness.report.html import render_html
from harness.report.leaderboard_table import (
    failure_header,
    figure_columns,
    is_seeded,
    rows_to_frame,
)
from harness.report.markdown import render_markdown
from harness.report.members import members_note
from harness.report.model import Report, ReportFigure, ReportSection, ReportTable
from harness.report.plots import (
    plot_quality_vs_cost,
    plot_rank_scatter,
    plot_target_heatmap,
    plot_tau_bars,
    plot_tau_heatmap,
    plot_top_k_curves,
    top_k_curves,
)
from harness.report.sweeps import (
    ablation_grid,
    distill_curves,
    distill_points,
    plot_ablation,
    plot_distill_curves,
)
from harness.results import ResultRow

FIGURES_DIR = "figures"


@dataclass(frozen=True)
class ReportOptions:
    title: str = "Proxy ranking report"
    #: resamples and level of the paired tests between ablation settings
    n_resamples: int = 1000
    confidence: float = 0.95
    seed: int = 0


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    csvs: tuple[Path, ...]
    figures: tuple[ReportFigure, ...]


def _num(value: float | None, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if value is not None and math.isfinite(value) else "—"


def _with_interval(row: ResultRow, name: str) -> str:
    value, low, high = getattr(row, name), getattr(row, f"{name}_lo"), getattr(row, f"{name}_hi")
    if value is None:
        return "—"
    if low is None or high is None:
        return _num(value)
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def results_table(group: ResultGroup) -> ReportTable:
    ordered = sorted(group.rows, key=lambda r: -r.kendall if r.kendall is not None else math.inf)
    seeded = any(is_seeded(r) for r in ordered)
    # means over seeds: also the one-seed figure and the seeds' agreement
    columns = figure_columns("report", seeded=seeded, interval="CI")
    header = ("rank", "proxy", *(c.header for c in columns), "origin")
    rows = tuple(
        (str(i), r.proxy, *(c.cell(r) for c in columns), r.origin)
        for i, r in enumerate(ordered, start=1)
    )
    title = group.title
    if seeded:
        title += f" · mean over {ordered[0].extra.get('n_seeds')} seeds, two-level intervals"

    notes = [failure_header(group.rows), members_note(group.rows)]
    return ReportTable(title=title, header=header, rows=rows, note=" ".join(n for n in notes if n))


class _Builder:
    def __init__(self, sources: Sequence[LoadedDocument], out_dir: Path, options: ReportOptions):
        self.sources = list(sources)
        self.out_dir = out_dir
        self.figures_dir = out_dir / FIGURES_DIR
        self.options = options
        self.figures: list[ReportFigure] = []
        self.changes: list[tuple[str, SettingChange]] = []
        self.sensitivity: list[tuple[str, Sensitivity]] = []
        self.top_k_records: list[dict] = []
        self.distill_records: list[dict] = []

    def figure(self, files, title: str, description: str, sources) -> ReportFigure | None:
        if files is None:
            return None
        figure = ReportFigure(
            files=files,
            title=title,
            description=description,
            provenance=tuple(provenance_line(s) for s in sources),
        )
        self.figures.append(figure)
        return figure

    def overview(self) -> ReportSection:
        section = ReportSection(title="Overview", anchor="overview")
        header = ("doc", "kind", "run id", "groups", "proxies", "git", "seed", "created")
        rows = []
        for source in self.sources:
            doc = source.document
            rows.append(
                (
                    source.label,
                    doc.kind,
                    doc.run_id,
                    str(len(groups_of(source))),
                    str(len({r.proxy for r in doc.rows})),
                    short_revision(doc.git_revision),
                    str(doc.seed),
                    doc.created,
                )
            )
        section.tables.append(ReportTable("Documents", header, tuple(rows)))
        groups = [g for s in self.sources if s.document.kind != "distill" for g in groups_of(s)]
        figure = self.figure(
            plot_tau_heatmap(groups, self.figures_dir, "overview-kendall-heatmap"),
            "Kendall τ heat map: proxies x (space, dataset, target or setting)",
            "Each cell is the Kendall tau-b of the proxy's score (oriented so higher is better) "
            "against the ground truth, as stored in the document; columns name only what differs "
            "between them (the shared part is in the title); grey cells: not measured.",
            self.sources,
        )
        if figure:
            section.figures.append(figure)
        return section

    def document_section(self, source: LoadedDocument) -> ReportSection:
        doc = source.document
        section = ReportSection(
            title=f"{source.label}: {doc.kind} {doc.run_id}", anchor=f"doc-{source.label}"
        )
        section.text.append(provenance_line(source))
        section.text += [f"Note: {note}" for note in doc.notes]
        if doc.kind == "distill":
            self.distill_section(source, section)
        elif doc.kind == "ablation":
            self.ablation_section(source, section)
        else:
            if doc.kind == "leaderboard" and doc.config.get("targets"):
                self.targets_heatmap(source, section)
            for index, group in enumerate(groups_of(source), start=1):
                self.group_parts(source, group, f"{source.label}-g{index}", section)
        return section

    def targets_heatmap(self, source: LoadedDocument, section: ReportSection) -> None:
        """A multi-target leaderboard's (`harness leaderboard --targets`) τ heat map."""
        lower = source.document.config.get("lower_is_better") or []
        figure = self.figure(
            plot_target_heatmap(source.document.rows, self.figures_dir,
                                f"{source.label}-targets-kendall-heatmap", lower_is_better=lower),
            f"Kendall τ per proxy and target — {source.label}",
            "Each cell is the proxy's Kendall tau-b against one target, as stored in the "
            "document; proxies by their mean over the targets, best first. ↓: a lower-is-"
            "better target (latency, energy), ranked against its negation, so a positive τ "
            "means the proxy favours cheaper networks.",
            [source],
        )  # fmt: skip
        if figure:
            section.figures.append(figure)

    def group_parts(
        self, source: LoadedDocument, group: ResultGroup, stem: str, section: ReportSection
    ) -> None:
        section.tables.append(results_table(group))
        parts = [
            (
                plot_tau_bars(group, self.figures_dir, f"{stem}-kendall-bars"),
                f"Kendall τ with intervals — {group.title}",
                "Bars: Kendall tau-b; whiskers: the document's bootstrap percentile interval; "
                "best proxy on top.",
            ),
            (
                plot_quality_vs_cost(group, self.figures_dir, f"{stem}-quality-vs-cost"),
                f"Quality vs cost — {group.title}",
                "Kendall tau against the mean seconds per architecture (log scale); filled "
                "points joined by the step line are the Pareto front (no other proxy is both "
                "cheaper and better).",
            ),
            (
                plot_rank_scatter(group, self.figures_dir, f"{stem}-rank-scatter"),
                f"Score rank vs accuracy rank — {group.title}",
                "Per proxy, percentile rank of the oriented score against percentile rank of "
                "the true accuracy (hexbin above 300 architectures); tau and rho in the corner "
                "are the document's figures.",
            ),
            (
                plot_top_k_curves(group, self.figures_dir, f"{stem}-top-k"),
                f"Top-k curves — {group.title}",
                "Share of the true top-k% architectures found in the proxy's top-k%, k = 1 to "
                "50% (harness.stats.top_k_overlap on the stored values; ties count as expected "
                "shares); dashed: a random ranking.",
            ),
        ]
        for files, title, description in parts:
            figure = self.figure(files, title, description, [source])
            if figure:
                section.figures.append(figure)
        for proxy, curve in top_k_curves(group).items():
            for k, share in curve.items():
                self.top_k_records.append(
                    {"doc": source.label, "group": group.key.title(), "proxy": proxy,
                     "k_percent": k, "share_found": share}
                )  # fmt: skip

    def ablation_section(self, source: LoadedDocument, section: ReportSection) -> None:
        grid = ablation_grid(source)
        section.text.append(
            "Swept: " + "; ".join(f"{k} = {', '.join(map(str, v))}" for k, v in grid.items())
        )
        groups = groups_of(source)
        members = members_note(source.document.rows)
        if members:
            section.text.append(members)
        section.tables.append(ablation_matrix(groups))
        plotted = plot_ablation(source, self.figures_dir, f"{source.label}-ablation")
        for parameter, files in zip(grid, plotted, strict=False):
            figure = self.figure(
                files,
                f"Kendall τ vs {parameter} — {source.label}",
                "One line per proxy, one panel per combination of the other swept values; "
                "whiskers: each setting's bootstrap interval. Points are offset sideways so "
                "whiskers do not hide each other.",
                [source],
            )
            section.figures.append(figure)
        changes = setting_changes(
            source,
            n_resamples=self.options.n_resamples,
            confidence=self.options.confidence,
            seed=self.options.seed,
        )
        alpha = 1 - self.options.confidence
        summary = sensitivities(changes, alpha)
        self.changes += [(source.label, c) for c in changes]
        self.sensitivity += [(source.label, s) for s in summary]
        section.tables.append(sensitivity_table(summary, alpha))
        section.tables.append(changes_table(changes, alpha))

    def distill_section(self, source: LoadedDocument, section: ReportSection) -> None:
        curves = distill_curves(distill_points(source))
        self.distill_records += [{"doc": source.label, **c} for c in curves]
        figure = self.figure(
            plot_distill_curves(source, self.figures_dir, f"{source.label}-distill"),
            f"Kendall τ vs epoch — {source.label}",
            "Line: mean over seeds; band: min to max over seeds.",
            [source],
        )
        if figure:
            section.figures.append(figure)
        header = ("group", "method", "epoch", "mean τ", "min", "max", "seeds")
        rows = tuple(
            (c["group"], c["method"], f"{c['epoch']:g}", _num(c["mean"]), _num(c["low"]),
             _num(c["high"]), str(c["seeds"]))
            for c in curves
        )  # fmt: skip
        section.tables.append(ReportTable(f"Distillation curves — {source.label}", header, rows))
        if not curves:
            for group in groups_of(source):
                section.tables.append(results_table(group))

    def provenance(self) -> ReportSection:
        section = ReportSection(title="Provenance", anchor="provenance")
        section.text.append(
            "Every figure and table above is drawn from the stored values of these documents; "
            "no proxy score was recomputed for this report."
        )
        for source in self.sources:
            doc = source.document
            rows = (
                ("document", f"{source.label} = {source.path or '(in memory)'}"),
                ("kind / run id", f"{doc.kind} / {doc.run_id}"),
                ("created", doc.created),
                ("git revision", doc.git_revision or "unknown"),
                ("seed", str(doc.seed)),
                ("data files", data_summary(doc)),
                ("versions", ", ".join(f"{k} {v}" for k, v in doc.versions.items())),
                ("machine", ", ".join(f"{k}: {v}" for k, v in doc.machine.items())),
                ("schema version", str(doc.schema_version)),
            )
            section.tables.append(ReportTable(f"{source.label}", ("field", "value"), rows))
            section.blocks.append(
                (f"{source.label} config", json.dumps(doc.config, indent=2, sort_keys=True))
            )
        return section

    def write_csvs(self) -> list[Path]:
        written = []

        def write(name: str, frame: pd.DataFrame) -> None:
            path = self.out_dir / name
            frame.to_csv(path, index=False, float_format="%.6g")
            written.append(path)

        frames = []
        for source in self.sources:
            for group in groups_of(source):
                frames.append(_labelled_frame(source, group))
        write("results.csv", pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())
        if self.top_k_records:
            write("top_k.csv", pd.DataFrame(self.top_k_records))
        write("provenance.csv", provenance_frame(self.sources))
        write(
            "figures.csv",
            pd.DataFrame(
                [
                    {"figure": f.files.name, "title": f.title,
                     "png": f.files.png.relative_to(self.out_dir).as_posix(),
                     "svg": f.files.svg.relative_to(self.out_dir).as_posix(),
                     "provenance": " | ".join(f.provenance)}
                    for f in self.figures
                ]
            ),
        )  # fmt: skip
        if self.changes:
            write(
                "ablation_changes.csv",
                pd.DataFrame([{"doc": d, **asdict(c)} for d, c in self.changes]),
            )
            write(
                "ablation_sensitivity.csv",
                pd.DataFrame([{"doc": d, **asdict(s)} for d, s in self.sensitivity]),
            )
        if self.distill_records:
            write("distill_curves.csv", pd.DataFrame(self.distill_records))
        return written


def _labelled_frame(source: LoadedDocument, group: ResultGroup) -> pd.DataFrame:
    """The group's rows with the document's label, kind, run id and the group's setting
    in front (a row's own extra figure of the same name is kept as `extra_<name>`)."""
    frame = rows_to_frame(list(group.rows))
    labels = {
        "doc": source.label,
        "doc_kind": source.document.kind,
        "doc_run_id": source.document.run_id,
        "doc_setting": group.key.setting,
    }
    frame = frame.rename(columns={name: f"extra_{name}" for name in labels if name in frame})
    for position, (name, value) in enumerate(labels.items()):
        frame.insert(position, name, value)
    return frame


def provenance_frame(sources: Sequence[LoadedDocument]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "doc": s.label,
                "path": str(s.path) if s.path else "",
                "kind": s.document.kind,
                "run_id": s.document.run_id,
                "created": s.document.created,
                "git_revision": s.document.git_revision,
                "seed": s.document.seed,
                "data_files": json.dumps(s.document.data_files, sort_keys=True),
                "versions": json.dumps(s.document.versions, sort_keys=True),
                "config": json.dumps(s.document.config, sort_keys=True),
            }
            for s in sources
        ]
    )


def ablation_matrix(groups: Sequence[ResultGroup]) -> ReportTable:
    """Proxies x settings, Kendall tau with its interval in each cell."""
    proxies = list(dict.fromkeys(r.proxy for g in groups for r in g.rows))
    header = ("proxy", *(g.key.setting or g.key.title() for g in groups))
    rows = []
    for proxy in proxies:
        cells = []
        for group in groups:
            row = group.row(proxy)
            cells.append(_with_interval(row, "kendall") if row else "—")
        rows.append((proxy, *cells))
    return ReportTable("Kendall τ [interval] per setting", header, tuple(rows))


def sensitivity_table(summary: Sequence[Sensitivity], alpha: float) -> ReportTable:
    header = ("swept", "proxy", "changes", f"significant (p < {alpha:g})", "mean |Δτ|",
              "largest Δτ")  # fmt: skip
    rows = tuple(
        (s.parameter, s.proxy, str(s.changes), str(s.significant), _num(s.mean_abs_delta),
         f"{s.largest_delta:+.3f}" if math.isfinite(s.largest_delta) else "—")
        for s in summary
    )  # fmt: skip
    return ReportTable(
        "Sensitivity: how far each proxy's τ moves along each swept key",
        header,
        rows,
        note="Each change compares a value with the key's first value, the other keys held "
        "fixed (paired bootstrap over the same architectures, harness.stats.compare_runs); "
        "no multiple-testing correction.",
    )


def changes_table(changes: Sequence[SettingChange], alpha: float) -> ReportTable:
    header = ("proxy", "swept", "others held at", "from → to", "τ before", "τ after",
              "Δτ [interval]", "p", "paired")  # fmt: skip
    rows = tuple(
        (c.proxy, c.parameter, c.context or "—", f"{c.from_value} → {c.to_value}",
         _num(c.before), _num(c.after),
         f"{c.delta:+.3f} [{c.low:+.3f}, {c.high:+.3f}]" + (" *" if c.p_value < alpha else ""),
         _num(c.p_value), "yes" if c.paired else "no")
        for c in changes
    )  # fmt: skip
    return ReportTable(
        "Every change between settings", header, rows, note=f"* significant at p < {alpha:g}"
    )


def build_report(
    sources: Sequence[LoadedDocument], out_dir: Path, options: ReportOptions | None = None
) -> ReportFiles:
    """Write figures/ (PNG + SVG), the CSVs, report.md and report.html into out_dir."""
    options = options or ReportOptions()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    builder = _Builder(sources, out_dir, options)
    sections = [builder.overview()]
    sections += [builder.document_section(s) for s in builder.sources]
    sections.append(builder.provenance())
    intro = [
        f"{len(builder.sources)} results document(s): "
        + ", ".join(f"{s.label} = {s.document.kind} {s.document.run_id}" for s in builder.sources)
        + ". Correlations are for each proxy's score oriented so that higher is better; "
        "intervals are the documents' bootstrap percentile intervals.",
    ]
    report = Report(title=options.title, intro=intro, sections=sections)
    csvs = builder.write_csvs()
    markdown = out_dir / "report.md"
    markdown.write_text(render_markdown(report, out_dir))
    html = out_dir / "report.html"
    html.write_text(render_html(report))
    return ReportFiles(
        html=html, markdown=markdown, csvs=tuple(csvs), figures=tuple(builder.figures)
    )
