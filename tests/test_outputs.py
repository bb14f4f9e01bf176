"""Staged output folders: files reach --out only when the command succeeded."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.outputs import STAGING_PREFIX, StagedOutput


def test_files_arrive_together_on_success(tmp_path):
    out = tmp_path / "a" / "b"
    with StagedOutput(out) as stage:
        (stage / "figures").mkdir()
        (stage / "figures" / "x.png").write_bytes(b"png")
        (stage / "report.md").write_text("# r\n")
        assert not out.exists()  # nothing visible while the command works
    assert (out / "figures" / "x.png").read_bytes() == b"png"
    assert (out / "report.md").read_text() == "# r\n"
    assert not list(tmp_path.rglob(f"{STAGING_PREFIX}*"))


def test_a_failure_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), StagedOutput(out) as stage:
        (stage / "figures").mkdir()
        (stage / "figures" / "x.png").write_bytes(b"png")
        raise RuntimeError("plotting failed")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_keeps_its_files_on_failure_and_gets_new_ones_on_success(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), StagedOutput(out) as stage:
        (stage / "old.txt").write_text("new")
        raise RuntimeError
    assert [p.name for p in out.iterdir()] == ["old.txt"] and (out / "old.txt").read_text() == "old"
    with StagedOutput(out) as stage:
        (stage / "old.txt").write_text("new")
    assert [p.name for p in out.iterdir()] == ["old.txt"] and (out / "old.txt").read_text() == "new"


@pytest.mark.parametrize("where", ["file", "under-file", "proc"])
def test_an_unusable_out_is_refused_before_any_work(tmp_path, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    out = {"file": blocker, "under-file": blocker / "out", "proc": "/proc/harness-out"}[where]
    with pytest.raises(ConfigError, match="--out") as info:
        StagedOutput(out)
    assert "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


def test_a_conflict_found_at_the_end_moves_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "figures").write_text("a file where a folder goes")
    with pytest.raises(ConfigError, match="is a file, not a folder"), StagedOutput(out) as stage:
        (stage / "a.csv").write_text("a")
        (stage / "figures").mkdir()
        (stage / "figures" / "x.png").write_bytes(b"png")
    assert sorted(p.name for p in out.iterdir()) == ["figures"]


def _dead_pid() -> int:
    """A process id no process has now (a child that has exited and been reaped)."""
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


def test_a_killed_commands_staging_folder_is_removed_by_the_next(tmp_path):
    """Issue 27: SIGKILL leaves `.harness-partial-<pid>-*`; the next command staging in the
    same place removes it when its owner is gone (or it is a day old), and keeps the
    staging folders of commands still running."""
    import os
    import time

    dead = tmp_path / f"{STAGING_PREFIX}{_dead_pid()}-abc"
    old = tmp_path / f"{STAGING_PREFIX}oldstyle"  # no pid in the name: stale after a day
    young = tmp_path / f"{STAGING_PREFIX}youngstyle"
    alive = tmp_path / f"{STAGING_PREFIX}{os.getppid()}-live"  # pytest's parent is running
    for folder in (dead, old, young, alive):
        folder.mkdir()
        (folder / "results.json").write_text("{}")
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    with StagedOutput(tmp_path / "out") as stage:
        (stage / "x.txt").write_text("x")
    left = sorted(p.name for p in tmp_path.glob(f"{STAGING_PREFIX}*"))
    assert left == sorted([young.name, alive.name])
    assert (tmp_path / "out" / "x.txt").read_text() == "x"


def test_a_full_disk_names_the_file_where_it_was_going(tmp_path):
    import errno

    from harness.errors import FileSystemError

    out = tmp_path / "out"
    with pytest.raises(FileSystemError) as raised, StagedOutput(out) as stage:
        raise OSError(errno.ENOSPC, "No space left on device", str(stage / "results.json.tmp"))
    assert str(raised.value) == (
        f"cannot write {out / 'results.json'}: No space left on device (ENOSPC)"
    )
    assert list(tmp_path.iterdir()) == []
