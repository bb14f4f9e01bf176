"""`run_check`: every contract check of some proxies, on every checked space.

Per space, each architecture of `harness.check.archs` is built once (as a run builds it:
the run's per-architecture seed) and every proxy runs on a private copy, timed beside the
floor (one forward + backward, `harness.bench`) of the same architecture. On the typical
architecture the needs and permutation checks run too; on the largest, peak memory is
measured (a fresh process per proxy, `harness.bench.memory`). Finally `processes` fresh
processes score every proxy twice on each typical architecture (determinism).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.bench.clock import timed
from harness.bench.memory import MemoryPeak, cuda_peak, peak_spec, subprocess_peak
from harness.bench.workload import Workload, load_inputs, make_workload
from harness.check.archs import CheckArch, check_archs, check_spaces
from harness.check.contract import (
    TIME_LIMIT,
    Outcome,
    mutation_run,
    needs_findings,
    permutation_change,
    score_bits,
)
from harness.check.worker import TIMEOUT, score_in_fresh_process
from harness.devices import check_device
from harness.errors import ConfigError
from harness.execution.threads import torch_threads
from harness.provenance import git_revision
from harness.proxies import DEFAULT_PROXY_TIMEOUT, ProxySpec, get_proxy, proxies_with_parts
from harness.proxies.plugins import load_includes

#: The checks, in table order, with their column titles.
CHECKS: dict[str, str] = {
    "determinism": "determinism",
    "no_mutation": "no mutation",
    "needs": "honest needs",
    "permutation": "permutation",
    "architectures": "architectures",
    "time": "time x floor",
    "memory": "memory x floor",
}
OK, FAIL, NOT_APPLICABLE = "ok", "FAIL", "n/a"


@dataclass(frozen=True)
class CheckOptions:
    #: the spaces to check (default: every registered space declaring `CHECK_ARCHS`)
    spaces: tuple[str, ...] = field(default_factory=lambda: tuple(check_spaces()))
    batch_size: int = 16
    #: seed of the weights (per architecture, as in a run) and of the batch
    seed: int = 0
    device: str = "cpu"
    threads: int = 1
    input_source: str = "fashion-mnist"
    network_variant: str = "as_trained"
    num_classes: int = 10
    #: plugin files or folders to load first (`--include`)
    includes: tuple[str, ...] = ()
    #: labels of the architectures to check (`harness.check.archs`; empty = all)
    archs: tuple[str, ...] = ()
    #: fresh processes of the determinism check (each scores every proxy twice)
    processes: int = 2
    #: measure peak memory on each space's largest architecture
    memory: bool = True
    #: limits on the largest architecture of each space (0 = no limit)
    max_time_x: float = 100.0
    max_memory_x: float = 20.0
    #: largest relative change of the score under a permuted batch
    permutation_rtol: float = 1e-4
    #: seconds one proxy call may take (0 = no limit); a proxy past it, or one that
    #: crashes its process, breaks the contract
    proxy_timeout: float = DEFAULT_PROXY_TIMEOUT

    def validate(self) -> None:
        known_spaces = check_spaces()
        for space in self.spaces:
            if space not in known_spaces:
                raise ConfigError(f"unknown space {space!r} (known: {', '.join(known_spaces)})")
        if not self.spaces:
            raise ConfigError("name at least one space to check")
        if self.batch_size < 2:
            raise ConfigError(f"batch-size must be >= 2, got {self.batch_size}")
        if self.threads < 1 or self.processes < 1:
            raise ConfigError(
                f"threads and processes must be >= 1, got {self.threads} and {self.processes}"
            )
        if not 0 <= self.proxy_timeout < math.inf:
            raise ConfigError(
                f"--proxy-timeout must be a number of seconds >= 0, got {self.proxy_timeout}"
            )
        if self.max_time_x < 0 or self.max_memory_x < 0 or not self.permutation_rtol >= 0:
            raise ConfigError("the time, memory and permutation limits must be >= 0")
        known = {a.label for space in self.spaces for a in check_archs(space)}
        unknown = [label for label in self.archs if label not in known]
        if unknown:
            raise ConfigError(
                f"unknown architecture label(s) {', '.join(unknown)} for "
                f"{', '.join(self.spaces)} (known: {', '.join(sorted(known))})"
            )
        check_device(self.device)


@dataclass(frozen=True)
class Finding:
    """One check of one proxy: status ok / FAIL / n/a, the table cell, and the problems."""

    status: str
    cell: str
    problems: tuple[str, ...] = ()


@dataclass
class ArchResult:
    """One proxy on one architecture."""

    space: str
    label: str
    role: str
    key: str
    outcome: Outcome
    floor_seconds: float
    #: the declared reason the proxy may fail here (None: a score is expected)
    expected: str | None
    changes: list[str] = field(default_factory=list)
    #: the failure conditions this architecture meets (`CheckArch.all_conditions`)
    conditions: frozenset[str] = frozenset()

    @property
    def time_x(self) -> float:
        return self.outcome.seconds / self.floor_seconds if self.floor_seconds > 0 else math.inf

    @property
    def verdict(self) -> str:
        """ok, expected failure, or FAIL: ... (why)."""
        outcome = self.outcome
        if outcome.escaped:
            return f"FAIL: {outcome.describe()}"
        if outcome.status == "ok":
            return OK
        if self.expected is None:
            return f"FAIL: {outcome.describe()} where a score is expected"
        return "expected failure"

    def to_dict(self) -> dict[str, Any]:
        return {
            "space": self.space,
            "arch": self.label,
            "role": self.role,
            "key": self.key,
            "status": self.outcome.status,
            "score": self.outcome.score if math.isfinite(self.outcome.score) else None,
            "score_bits": score_bits(self.outcome.score),
            "error": self.outcome.error,
            "expected_failure": self.expected,
            "verdict": self.verdict,
            "seconds": self.outcome.seconds,
            "floor_seconds": self.floor_seconds,
            "time_x_floor": self.time_x if math.isfinite(self.time_x) else None,
            "changed": list(self.changes),
            "conditions": sorted(self.conditions),
        }


@dataclass
class ProxyCheck:
    spec: ProxySpec
    archs: list[ArchResult] = field(default_factory=list)
    needs_problems: list[str] = field(default_factory=list)
    permutation: list[tuple[str, float, str]] = field(default_factory=list)
    #: space -> (proxy peak, floor peak) on the space's largest architecture
    memory: dict[str, tuple[MemoryPeak | None, MemoryPeak | None, str]] = field(
        default_factory=dict
    )
    determinism: list[str] = field(default_factory=list)
    determinism_runs: int = 0
    findings: dict[str, Finding] = field(default_factory=dict)
    #: why the proxy was not checked further: it timed out or crashed its process
    broken: str = ""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def set_level(self) -> bool:
        return self.spec.combine is not None

    @property
    def passed(self) -> bool:
        return all(f.status != FAIL for f in self.findings.values())


@dataclass
class CheckReport:
    options: CheckOptions
    proxies: list[ProxyCheck]
    input_source: str
    input_hash: str
    notes: list[str]
    #: the harness's commit when the check started (a check runs for minutes or hours,
    #: and the code it loaded is the code of its start)
    git_revision: str | None = None

    @property
    def passed(self) -> bool:
        return all(p.passed for p in self.proxies)


def run_check(
    names: Sequence[str],
    options: CheckOptions,
    progress: Callable[[str], None] | None = None,
) -> CheckReport:
    """Check every proxy among `names` (names, globs or `standard`) under `options`."""

    options.validate()
    revision = git_revision()
    include_files = [str(f) for f in load_includes(options.includes)]
    checks = [ProxyCheck(get_proxy(name)) for name in proxies_with_parts(names)]
    if not checks:
        raise ConfigError("name at least one proxy to check")
    per_arch = [c for c in checks if not c.set_level]
    batch, second, notes = load_inputs(
        options.input_source,
        batch_size=options.batch_size,
        seed=options.seed,
        num_classes=options.num_classes,
    )
    say = progress or (lambda _: None)
    typical: list[CheckArch] = []
    previous_limit = TIME_LIMIT["seconds"]
    TIME_LIMIT["seconds"] = options.proxy_timeout or None
    try:
        _preflight(per_arch, batch.source, options, include_files, say)
        live = [c for c in per_arch if not c.broken]
        if live or not per_arch:
            _check_all(live, options, batch, second, typical, include_files, say)
    finally:
        TIME_LIMIT["seconds"] = previous_limit
    per_arch = [c for c in per_arch if not c.broken]
    if per_arch and typical:
        say("determinism: fresh processes")
        _determinism(per_arch, typical, batch.source, options, include_files)
    for check in checks:
        check.findings = _findings(check, options, bool(typical))
    return CheckReport(options, checks, batch.source, batch.content_hash, notes, revision)


def _preflight(
    checks: list[ProxyCheck],
    source: str,
    options: CheckOptions,
    include_files: list[str],
    say: Callable[[str], None],
) -> None:
    """Score each plugin proxy once on every architecture in a fresh process of its own,
    so that one that crashes its process (`os._exit`, a segfault) or runs past the time
    limit is found there and reported (`ProxyCheck.broken`) instead of ending or holding
    up the check. Built-in proxies are this package's code and skip it."""
    cases = [
        {"space": a.space, "arch": a.key}
        for space in options.spaces
        for a in _selected(check_archs(space), options.archs)
    ]
    limit = options.proxy_timeout
    budget = (limit * len(cases) + 300.0) if limit else TIMEOUT
    for check in checks:
        if check.spec.origin.kind == "builtin":
            continue
        say(f"{check.name}: a fresh process (crashes, time limit)")
        spec = {**_fresh_spec([check.name], options, source, include_files), "cases": cases,
                "repeats": 1, "timeout": limit or None, "stop_on_timeout": True}  # fmt: skip
        try:
            runs = score_in_fresh_process(spec, timeout=budget, what="its process")
        except RuntimeError as exc:
            check.broken = f"in a fresh process: {exc}"
            continue
        for case in cases:
            for status, _bits, error in runs[check.name].get(case["arch"], []):
                if status == "error" and (error or "").startswith("timed out"):
                    check.broken = f"{case['space']} {case['arch']}: {error}"
                    break
            if check.broken:
                break


def _fresh_spec(
    proxies: list[str], options: CheckOptions, source: str, include_files: list[str]
) -> dict[str, Any]:
    return {
        "proxies": proxies,
        "includes": include_files,
        "batch_size": options.batch_size,
        "seed": options.seed,
        "input_source": source,
        "network_variant": options.network_variant,
        "num_classes": options.num_classes,
        "threads": options.threads,
        "device": options.device,
    }


def _check_all(
    per_arch: list[ProxyCheck],
    options: CheckOptions,
    batch,
    second,
    typical: list[CheckArch],
    include_files: list[str],
    say: Callable[[str], None],
) -> None:
    with torch_threads(options.threads):
        for space in options.spaces:
            for index, arch in enumerate(_selected(check_archs(space), options.archs)):
                work = _workload(options, arch, batch, second)
                if index == 0:  # warm up kernels and allocators before any clock
                    work.floor_call()()
                floor, _ = timed(work.floor_call(), work.device)
                for check in per_arch:
                    if check.broken:
                        continue
                    say(f"{arch.name}: {check.name}")
                    _check_arch(check, arch, work, floor, options)
                    error = check.archs[-1].outcome.error or ""
                    if error.startswith("timed out"):
                        check.broken = f"{arch.name}: {error}"
                if arch.role == "typical":
                    typical.append(arch)
                live = [c for c in per_arch if not c.broken]
                if arch.role == "largest" and options.memory and live:
                    say(f"{arch.name}: peak memory")
                    measurable = [c for c in live if not c.archs[-1].outcome.escaped]
                    _measure_memory(measurable, arch, work, batch.source, options, include_files)


def _selected(archs: list[CheckArch], labels: tuple[str, ...]) -> list[CheckArch]:
    return [a for a in archs if not labels or a.label in labels]


def _workload(options: CheckOptions, arch: CheckArch, batch, second) -> Workload:
    return make_workload(
        arch.space,
        arch.key,
        batch,
        second=second,
        run_seed=options.seed,
        network_variant=options.network_variant,
        num_classes=options.num_classes,
        device=options.device,
    )


def _check_arch(
    check: ProxyCheck, arch: CheckArch, work: Workload, floor: float, options: CheckOptions
) -> None:
    spec = check.spec
    outcome, changes = mutation_run(spec.name, work)
    expected = spec.expected_failure(arch.all_conditions)
    check.archs.append(
        ArchResult(
            arch.space,
            arch.label,
            arch.role,
            arch.key,
            outcome,
            floor,
            expected,
            changes,
            arch.all_conditions,
        )  # fmt: skip
    )
    if arch.role != "typical":
        return
    check.needs_problems += [f"{arch.name}: {p}" for p in needs_findings(spec, work, outcome)]
    if spec.permutation_invariant:
        change, problem = permutation_change(spec.name, work, outcome, options.seed)
        check.permutation.append((arch.name, change, problem))


def _measure_memory(
    checks: list[ProxyCheck],
    arch: CheckArch,
    work: Workload,
    source: str,
    options: CheckOptions,
    include_files: list[str],
) -> None:
    if work.device.type == "cuda":
        floor = cuda_peak("floor", work.floor_call(), work.device)
        for check in checks:
            name = check.name
            peak = cuda_peak(name, lambda name=name: work.engine([name]), work.device)
            check.memory[arch.space] = (peak, floor, "")
        return
    spec = peak_spec(arch.space, arch.key, options, source, include_files)
    try:
        floor: MemoryPeak | None = subprocess_peak({**spec, "what": "floor", "proxies": []})
        floor_problem = ""
    except RuntimeError as exc:
        floor, floor_problem = None, f"floor: {exc}"
    for check in checks:
        try:
            peak = subprocess_peak({**spec, "what": check.name, "proxies": [check.name]})
            check.memory[arch.space] = (peak, floor, floor_problem)
        except RuntimeError as exc:
            check.memory[arch.space] = (None, floor, str(exc))


def _determinism(
    checks: list[ProxyCheck],
    typical: list[CheckArch],
    source: str,
    options: CheckOptions,
    include_files: list[str],
) -> None:
    spec = {
        "cases": [{"space": a.space, "arch": a.key} for a in typical],
        **_fresh_spec([c.name for c in checks], options, source, include_files),
        "repeats": 2,
        "timeout": options.proxy_timeout or None,
    }
    runs: list[dict[str, Any]] = []
    for index in range(options.processes):
        try:
            runs.append(score_in_fresh_process(spec))
        except Exception as exc:  # a crash or a timeout fails determinism for every proxy
            for check in checks:
                check.determinism.append(f"process {index + 1}: {exc}")
            return
    for check in checks:
        for arch in typical:
            here = next(r for r in check.archs if r.key == arch.key and r.space == arch.space)
            reference = (here.outcome.status, score_bits(here.outcome.score))
            check.determinism_runs = 1 + sum(len(r[check.name][arch.key]) for r in runs)
            for p, run in enumerate(runs, start=1):
                for r, (status, bits, error) in enumerate(run[check.name][arch.key], start=1):
                    if (status, bits) != reference:
                        check.determinism.append(
                            f"{arch.name}: process {p} run {r} gave {_shown(status, bits, error)}"
                            f", this process {_shown(*reference, here.outcome.error)}"
                        )


def _shown(status: str, bits: str, error: str | None) -> str:
    if status != "ok":
        return f"{status} ({error})"
    return f"{float.fromhex(bits):.17g}"


# -- findings -------------------------------------------------------------------------------


def _findings(check: ProxyCheck, options: CheckOptions, typical: bool) -> dict[str, Finding]:
    if check.broken:
        cell = "n/a (timed out or crashed)"
        findings = {key: Finding(NOT_APPLICABLE, cell) for key in CHECKS}
        findings["architectures"] = Finding(FAIL, "FAIL (timed out or crashed)", (check.broken,))
        return findings
    if check.set_level:
        parts = ", ".join(check.spec.combines)
        cell = f"n/a (set-level, combines {parts}: checked as themselves)"
        return {key: Finding(NOT_APPLICABLE, cell if key == "architectures" else "n/a")
                for key in CHECKS}  # fmt: skip
    findings = {
        "determinism": _determinism_finding(check, options),
        "no_mutation": _mutation_finding(check),
        "needs": _problems_finding(check.needs_problems),
        "permutation": _permutation_finding(check, options),
        "architectures": _arch_finding(check),
        "time": _time_finding(check, options),
        "memory": _memory_finding(check, options),
    }
    if not typical:  # these run on the typical architectures only
        for key in ("determinism", "needs", "permutation"):
            findings[key] = Finding(NOT_APPLICABLE, "n/a (no typical architecture checked)")
    return findings


def _problems_finding(problems: Sequence[str], cell: str = OK) -> Finding:
    if problems:
        return Finding(FAIL, FAIL, tuple(problems))
    return Finding(OK, cell)


def _determinism_finding(check: ProxyCheck, options: CheckOptions) -> Finding:
    runs = check.determinism_runs
    cell = f"ok ({runs} runs, {options.processes + 1} processes)" if runs else OK
    return _problems_finding(check.determinism, cell)


def _mutation_finding(check: ProxyCheck) -> Finding:
    problems = []
    for result in check.archs:
        if result.changes:
            shown = ", ".join(result.changes[:3])
            more = f" and {len(result.changes) - 3} more" if len(result.changes) > 3 else ""
            problems.append(f"{result.space} {result.label}: changed {shown}{more}")
    return _problems_finding(problems)


def _permutation_finding(check: ProxyCheck, options: CheckOptions) -> Finding:
    if not check.spec.permutation_invariant:
        return Finding(NOT_APPLICABLE, "n/a (not declared)")
    problems = [f"{where}: {problem}" for where, _, problem in check.permutation if problem]
    for where, change, problem in check.permutation:
        if not problem and change > options.permutation_rtol:
            problems.append(
                f"{where}: a permuted batch changes the score by {change:.2e} (relative), more "
                f"than {options.permutation_rtol:g}"
            )
    largest = max((c for _, c, p in check.permutation if not p), default=0.0)
    return _problems_finding(problems, f"ok (max change {largest:.0e})")


def _arch_finding(check: ProxyCheck) -> Finding:
    failed = [r for r in check.archs if r.verdict.startswith(FAIL)]
    expected = [r for r in check.archs if r.verdict == "expected failure"]
    if failed:
        problems = [f"{r.space} {r.label}: {r.verdict[len(FAIL) + 2 :]}" for r in failed]
        return Finding(FAIL, f"FAIL ({len(failed)} of {len(check.archs)})", tuple(problems))
    scored = len(check.archs) - len(expected)
    cell = f"ok ({scored} scored" + (f", {len(expected)} expected failures)" if expected else ")")
    return Finding(OK, cell)


def _largest(check: ProxyCheck) -> list[ArchResult]:
    return [r for r in check.archs if r.role == "largest"]


def _time_finding(check: ProxyCheck, options: CheckOptions) -> Finding:
    largest = _largest(check)
    if not largest:
        return Finding(NOT_APPLICABLE, "n/a")
    worst = max(largest, key=lambda r: r.time_x)
    problems = []
    if options.max_time_x and worst.time_x > options.max_time_x:
        problems.append(
            f"{worst.space} {worst.label}: {worst.time_x:.1f} x the floor "
            f"({worst.outcome.seconds:.2f} s vs {worst.floor_seconds:.2f} s), limit "
            f"{options.max_time_x:g}"
        )
    return _problems_finding(problems, f"{worst.time_x:.2f} ({worst.space})")


def _memory_finding(check: ProxyCheck, options: CheckOptions) -> Finding:
    if not options.memory:
        return Finding(NOT_APPLICABLE, "n/a (not measured)")
    if not check.memory:
        return Finding(NOT_APPLICABLE, "n/a")
    problems, ratios = [], []
    for space, (peak, floor, problem) in check.memory.items():
        if peak is None or floor is None:
            problems.append(f"{space}: memory measurement failed: {problem}")
            continue
        ratio = memory_ratio(peak, floor)
        ratios.append((ratio, space))
        if options.max_memory_x and ratio > options.max_memory_x:
            problems.append(
                f"{space}: peak +{peak.increase_mib:.0f} MiB = {ratio:.1f} x the floor's "
                f"+{floor.increase_mib:.0f} MiB, limit {options.max_memory_x:g}"
            )
    if not ratios:
        return _problems_finding(problems, "n/a")
    ratio, space = max(ratios)
    return _problems_finding(problems, f"{ratio:.2f} ({space})")


def memory_ratio(peak: MemoryPeak, floor: MemoryPeak) -> float:
    """The proxy's peak increase over the floor's (at least 1 MiB, against noise)."""
    return peak.increase_mib / max(floor.increase_mib, 1.0)
