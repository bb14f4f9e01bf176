"""`harness check`'s outputs: the table (md, csv or json), its details, and check.json."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict
from typing import Any

from harness.check.runner import CHECKS, FAIL, CheckReport, ProxyCheck
from harness.provenance import package_versions


def title(report: CheckReport) -> str:
    o = report.options
    return (
        f"harness check · {', '.join(o.spaces)} · batch {o.batch_size} ({report.input_source}) "
        f"· seed {o.seed} · {o.device} · {o.threads} thread(s)"
    )


def _row(check: ProxyCheck) -> dict[str, str]:
    row = {"proxy": check.name, "version": check.spec.version,
           "origin": check.spec.origin.describe()}  # fmt: skip
    if check.spec.overridden is not None:
        row["origin"] += " (overrides the built-in)"
    row.update({key: check.findings[key].cell for key in CHECKS})
    row["result"] = "pass" if check.passed else "FAIL"
    return row


def details(report: CheckReport) -> list[str]:
    """One line per failed check, then one per expected failure (with its reason)."""
    lines = []
    for check in report.proxies:
        for key, finding in check.findings.items():
            if finding.status == FAIL:
                lines += [f"FAIL {check.name} · {CHECKS[key]}: {p}" for p in finding.problems]
    for check in report.proxies:
        for result in check.archs:
            if result.verdict == "expected failure":
                lines.append(
                    f"expected failure {check.name} · {result.space} {result.label}: "
                    f"{result.outcome.describe()} (declared: {result.expected})"
                )
    for check in report.proxies:
        lines += [f"note {check.name}: {note}" for note in unused_declarations(check)]
    return lines


def unused_declarations(check: ProxyCheck) -> list[str]:
    """Declared failure conditions met by checked architectures that all scored anyway."""
    notes = []
    for condition, _ in check.spec.fails_on:
        met = [r for r in check.archs if condition in r.conditions]
        if met and all(r.outcome.status == "ok" for r in met):
            notes.append(
                f"declares it may fail on {condition} but scored on all {len(met)} checked "
                "architectures meeting it"
            )
    return notes


def to_markdown(report: CheckReport) -> str:
    rows = [_row(c) for c in report.proxies]
    headers = ["proxy", "version", "origin", *CHECKS.values(), "result"]
    keys = ["proxy", "version", "origin", *CHECKS, "result"]
    lines = [f"# {title(report)}", "", "| " + " | ".join(headers) + " |",
             "|" + "---|" * len(headers)]  # fmt: skip
    for row in rows:
        lines.append("| " + " | ".join(row[k].replace("|", "\\|") for k in keys) + " |")
    passed = sum(c.passed for c in report.proxies)
    lines += ["", f"{passed} of {len(report.proxies)} proxies pass."]
    extra = details(report)
    if extra:
        lines += ["", *[f"- {line}" for line in extra]]
    lines += [f"- note: {note}" for note in report.notes]
    lines.append(
        "\ntime x floor: the proxy's seconds over one forward + backward of the same network "
        "and batch, on each space's largest architecture (the largest ratio shown); memory x "
        "floor: its peak memory increase over the floor's there (fresh process each)."
    )
    return "\n".join(lines) + "\n"


def to_csv(report: CheckReport) -> str:
    out = io.StringIO()
    keys = ["proxy", "version", "origin", *CHECKS, "result"]
    writer = csv.DictWriter(out, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    for check in report.proxies:
        writer.writerow(_row(check))
    return out.getvalue()


def document(report: CheckReport) -> dict[str, Any]:
    """Everything the check measured, for check.json and `--format json`."""

    proxies = []
    for check in report.proxies:
        memory = {
            space: {
                "proxy": None if peak is None else peak.to_dict(),
                "floor": None if floor is None else floor.to_dict(),
                "problem": problem,
            }
            for space, (peak, floor, problem) in check.memory.items()
        }
        proxies.append(
            {
                "proxy": check.name,
                "version": check.spec.version,
                "origin": check.spec.origin.to_dict(),
                "overrides_builtin": check.spec.overridden is not None,
                "needs": sorted(check.spec.needs),
                "permutation_invariant": check.spec.permutation_invariant,
                "fails_on": dict(check.spec.fails_on),
                "passed": check.passed,
                "checks": {
                    key: {"status": f.status, "cell": f.cell, "problems": list(f.problems)}
                    for key, f in check.findings.items()
                },
                "architectures": [r.to_dict() for r in check.archs],
                "memory": memory,
                "permutation": [
                    {"arch": where, "relative_change": change, "problem": problem}
                    for where, change, problem in check.permutation
                ],
            }
        )
    return {
        "kind": "check",
        "title": title(report),
        "passed": report.passed,
        "options": asdict(report.options),
        "input_source": report.input_source,
        "input_hash": report.input_hash,
        "versions": package_versions(),
        "git_revision": report.git_revision,
        "notes": list(report.notes),
        "proxies": proxies,
    }


def render(report: CheckReport, fmt: str) -> str:
    if fmt == "csv":
        return to_csv(report)
    if fmt == "json":
        return json.dumps(_finite(document(report)), indent=2) + "\n"
    return to_markdown(report)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
