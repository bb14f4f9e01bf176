"""Where a number came from: package versions, git hash, machine, data checksums."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import harness

_PACKAGES = ("numpy", "scipy", "pandas", "torch", "matplotlib", "nas-bench-201", "nats_bench")


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str | None]:
    """Versions of the harness, Python and the packages that shape its numbers."""
    out: dict[str, str | None] = {
        "harness": harness.__version__,
        "python": platform.python_version(),
    }
    for name in _PACKAGES + extra:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_revision(path: Path | None = None) -> str | None:
    """The commit of the harness source tree (suffixed `-dirty` with local changes), if any."""
    where = path or Path(harness.__file__).resolve().parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    rev = head.stdout.strip()
    return rev + ("-dirty" if status.stdout.strip() else "")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, str | int | None]:
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
    }
