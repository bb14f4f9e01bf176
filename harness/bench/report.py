"""The benchmark's outputs: one printed table (md, csv or json) and bench.json."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from harness.bench.measure import BenchRun
from harness.bench.memory import CUDA_METHOD, RSS_METHOD
from harness.bench.summary import BenchRow
from harness.provenance import cpu_model, git_revision, package_versions

COLUMNS = (
    ("measure", "measure"),
    ("engine_ms", "engine ms/arch"),
    ("naive_ms", "naive ms/arch"),
    ("engine_over_naive", "engine / naive"),
    ("over_floor", "x floor"),
    ("peak_mib", "peak +MiB"),
    ("agree", "scores agree"),
)


def environment(device: str = "cpu", threads: int = 1) -> dict[str, Any]:
    """Device, torch version and threads, CPU model, load: what the times depend on."""

    device = torch.device(device)
    info: dict[str, Any] = {
        "device": str(device),
        "torch": torch.__version__,
        "torch_threads": threads,
        "torch_interop_threads": torch.get_num_interop_threads(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "versions": package_versions(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
    return info


def title(run: BenchRun, env: dict[str, Any]) -> str:
    o = run.options
    where = env.get("gpu") or env["cpu"]
    return (
        f"{o.space} · {len(run.archs)} archs · batch {o.batch_size} ({run.input_source}) · "
        f"{env['device']} ({where}) · torch {env['torch']} · {o.threads} thread(s) · "
        f"median of {o.repeats} repeat(s) after {o.warmup} warm-up round(s)"
    )


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if key in ("engine_over_naive", "over_floor"):
            return f"{value:.2f}"
        return f"{value:.1f}" if value < 100 else f"{value:.0f}"
    return str(value)


def to_markdown(rows: Sequence[BenchRow], heading: str) -> str:
    lines = [f"**{heading}**", "", "| " + " | ".join(h for _, h in COLUMNS) + " |"]
    lines.append("|" + "|".join("---" if k == "measure" else "---:" for k, _ in COLUMNS) + "|")
    for row in rows:
        data = row.to_dict()
        lines.append("| " + " | ".join(_cell(k, data[k]) for k, _ in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def to_csv(rows: Sequence[BenchRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([k for k, _ in COLUMNS])
    for row in rows:
        data = row.to_dict()
        writer.writerow(["" if data[k] is None else data[k] for k, _ in COLUMNS])
    return out.getvalue()


def render(rows: Sequence[BenchRow], fmt: str, heading: str) -> str:
    if fmt == "md":
        return to_markdown(rows, heading)
    if fmt == "csv":
        return to_csv(rows)
    if fmt == "json":
        return json.dumps([row.to_dict() for row in rows], indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r}")


def bench_document(run: BenchRun, rows: Sequence[BenchRow], env: dict[str, Any]) -> dict:
    """Everything bench.json holds: options, environment, method, rows, per-arch data."""

    device = torch.device(run.options.device)
    return {
        "kind": "bench",
        "title": title(run, env),
        "options": asdict(run.options),
        "environment": env,
        "git_revision": git_revision(),
        "input": {"source": run.input_source, "hash": run.input_hash},
        "proxies": run.proxies,
        "set_level": {
            name: "rank combination over the scored set: no per-arch cost" for name in run.set_level
        },
        "shared_set": run.shared_set,
        "method": {
            "clock": "CUDA events after synchronising"
            if device.type == "cuda"
            else "time.perf_counter after synchronising",
            "memory": CUDA_METHOD if device.type == "cuda" else RSS_METHOD,
            "per_arch": "median over repeats",
            "rows": "ms: median over architectures; ratios: median over architectures of "
            "the per-architecture ratio",
            "naive": "compute_proxies([name]) on a fresh context holding a fresh deep copy",
        },
        "rows": [row.to_dict() for row in rows],
        "archs": [
            {
                "arch": a.arch,
                "repeats": [asdict(r) for r in a.repeats],
                "engine_scores": a.engine_scores,
                "naive_scores": a.naive_scores,
                "memory": {k: v.to_dict() for k, v in a.memory.items()},
            }
            for a in run.archs
        ],
        "notes": run.notes,
    }


def write_document(document: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # NaN scores become null: strict JSON.
    text = json.dumps(_finite(document), indent=2)
    path.write_text(text + "\n")
    return path


def _finite(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
