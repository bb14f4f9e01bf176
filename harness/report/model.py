"""What a report is made of, independent of how it is written out (HTML or Markdown)."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.report.style import FigureFiles


@dataclass(frozen=True)
class ReportFigure:
    """A saved figure with what it shows and where its numbers came from."""

    files: FigureFiles
    title: str
    description: str
    #: one provenance line per source document (config, versions, git, data, seed)
    provenance: tuple[str, ...]


@dataclass(frozen=True)
class ReportTable:
    """A small table of already formatted cells."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


@dataclass
class ReportSection:
    title: str
    anchor: str
    text: list[str] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)
    #: preformatted blocks (config JSON and the like)
    blocks: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Report:
    title: str
    intro: list[str]
    sections: list[ReportSection]
