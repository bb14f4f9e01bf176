"""Issue 27: the file system's refusals are the user's to fix, said as such.

A full disk (ENOSPC), a quota (EDQUOT), a read-only or forbidden folder (EROFS, EACCES)
while a command writes its results, report, leaderboard, gate or fetched data: exit 2,
one line naming the file where it was going and the problem, nothing half-written (no
output folder, no staging folder, no `.part` file). The errors are injected at the write
(no full disk in CI), and one is real: a file-size limit (RLIMIT_FSIZE gives EFBIG).
"""

from __future__ import annotations

import errno
import importlib.util
import io
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.cli import main

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "report_documents_fs", REPO / "tests" / "report" / "report_documents.py"
)
report_documents = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report_documents)

RUN = ["run", "--archs", "3", "--proxies", "params", "--executor", "serial", "--no-progress",
       "--set", 'input.source="synthetic"', "--set", "input.batch_size=4"]  # fmt: skip


def _refuse_writes(monkeypatch, name: str, code: int) -> None:
    """Every write to a file called `name` (or `name.tmp`) fails with `code`."""
    real_open = io.open

    def refusing_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+") and Path(os.fsdecode(file)).name in (name, f"{name}.tmp"):
            raise OSError(code, os.strerror(code), os.fsdecode(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(io, "open", refusing_open)


def _document(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    truth = rng.uniform(70, 95, 20)
    doc = report_documents.make_document({"p": truth + rng.standard_normal(20)}, truth)
    return doc.write(tmp_path / "doc" / "results.json")


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.splitlines()
    lines = [line for line in err if not line.startswith("harness: note:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("harness: error: "), lines[0]
    return lines[0]


def _no_staging_left(folder: Path) -> None:
    assert not [p for p in folder.rglob(".harness-partial-*")]


@pytest.mark.parametrize(
    ("file", "code", "name"),
    [
        ("results.json", errno.ENOSPC, "ENOSPC"),
        ("results.json", errno.EDQUOT, "EDQUOT"),
        ("leaderboard.md", errno.EROFS, "EROFS"),
        ("leaderboard.csv", errno.EACCES, "EACCES"),
    ],
)
def test_run_outputs_on_a_full_or_read_only_disk(tmp_path, monkeypatch, capsys, file, code, name):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    _refuse_writes(monkeypatch, file, code)
    status = main([*RUN, "--set", f'store="{tmp_path / "s.sqlite"}"', "--out", str(out)])
    line = _one_error_line(capsys)
    assert status == 2
    assert line == f"harness: error: cannot write {out / file}: {os.strerror(code)} ({name})"
    assert not out.exists()
    _no_staging_left(tmp_path)


def test_report_and_gate_on_a_full_disk(tmp_path, monkeypatch, capsys):
    doc = _document(tmp_path)
    _refuse_writes(monkeypatch, "report.md", errno.ENOSPC)
    assert main(["report", str(doc), "--resamples", "20", "--out", str(tmp_path / "r")]) == 2
    assert "cannot write " + str(tmp_path / "r" / "report.md") in _one_error_line(capsys)
    assert not (tmp_path / "r").exists()
    _refuse_writes(monkeypatch, "compare.md", errno.ENOSPC)
    code = main(["compare", str(doc), str(doc), "--resamples", "20", "--out", str(tmp_path / "c")])
    assert code == 2
    assert "No space left on device (ENOSPC)" in _one_error_line(capsys)
    assert not (tmp_path / "c").exists()
    _no_staging_left(tmp_path)


def test_a_file_size_limit_is_a_real_efbig(tmp_path):
    """Not injected: the kernel refuses the report's files past 4 KB (Python ignores
    SIGXFSZ, so the write fails with EFBIG)."""
    doc = _document(tmp_path)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "report",
            str(doc),
            "--resamples",
            "20",
            "--out",
            str(tmp_path / "r"),
        ],  # fmt: skip
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,
    )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"harness: error: cannot write {tmp_path / 'r'}")  # where it went
    assert line.endswith("File too large (EFBIG)")
    assert not (tmp_path / "r").exists()
    _no_staging_left(tmp_path)


@pytest.mark.parametrize(
    ("where", "code", "name"),
    [("mkstemp", errno.EROFS, "EROFS"), ("mkstemp", errno.EACCES, "EACCES"),
     ("write", errno.ENOSPC, "ENOSPC")],
)  # fmt: skip
def test_fetching_into_a_read_only_or_full_folder(tmp_path, monkeypatch, capsys, where, code, name):
    from harness.tables import fetch

    source = tmp_path / "mirror" / "nb201" / "nats_tss_test_accuracy.csv"
    source.parent.mkdir(parents=True)
    source.write_text("whatever the mirror holds\n")
    data = tmp_path / "data"
    data.mkdir()
    if where == "mkstemp":

        def refuse(*args, **kwargs):
            raise OSError(code, os.strerror(code), str(data / "nb201"))

        monkeypatch.setattr(fetch.tempfile, "mkstemp", refuse)
    else:
        real_fdopen = os.fdopen

        class Full(io.RawIOBase):
            def __init__(self, handle):
                self.inner = real_fdopen(handle, "wb")

            def writable(self):
                return True

            def write(self, chunk):
                raise OSError(code, os.strerror(code))

            def close(self):
                self.inner.close()
                super().close()

        monkeypatch.setattr(fetch.os, "fdopen", lambda handle, mode: Full(handle))
    mirror = (tmp_path / "mirror").as_uri()
    status = main(["data", "fetch", "nb201-csv", "--no-progress", "--retries", "2",
                   "--mirror", mirror, "--data-dir", str(data)])  # fmt: skip
    line = _one_error_line(capsys)
    assert status == 2
    target = data / "nb201" / "nats_tss_test_accuracy.csv"
    assert line == f"harness: error: cannot write {target}: {os.strerror(code)} ({name})"
    assert "retrying" not in capsys.readouterr().err
    assert not [p for p in data.rglob("*") if p.is_file()]  # no .part left behind


def test_an_error_of_another_kind_is_still_a_bug(monkeypatch, capsys, tmp_path):
    """Only the file system's refusals become user errors; others stay internal (3)."""
    doc = _document(tmp_path)
    _refuse_writes(monkeypatch, "report.md", errno.EIO)
    assert main(["report", str(doc), "--resamples", "20", "--out", str(tmp_path / "r")]) == 3
    assert "internal error" in capsys.readouterr().err
