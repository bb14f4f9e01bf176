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
