"""Unpacking the CIFAR python archives: verified, atomic, refusing anything odd.

The archives are miniatures in the real layout (`cifar-10-batches-py/` with data_batch_1..5,
test_batch, batches.meta), pinned by md5s computed here; the published pins are checked for
form only (no machine here can download the real archives).
"""

from __future__ import annotations

import io
import re
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from harness.errors import DataError
from harness.inputs import IMAGE_ARCHIVES, check_unpacked, load_batch, unpack_archive
from harness.inputs.archives import ImageArchive, md5_of


def make_archive(tmp_path: Path, writers, name: str = "cifar10") -> tuple[ImageArchive, Path]:
    """A miniature archive of `name` and its ImageArchive pinned to its own md5s."""
    source = tmp_path / "source"
    if name == "cifar10":
        folder = writers.write_cifar10(source)[0]
    else:
        folder = writers.write_cifar100(source)[0]
    real = IMAGE_ARCHIVES[name]
    archive_path = tmp_path / real.archive
    with tarfile.open(archive_path, "w:gz") as tar:
        tar.add(folder, arcname=real.folder)
    files = {f: md5_of(folder / f) for f in real.files}
    return replace(real, md5=md5_of(archive_path), files=files), archive_path


def _entries(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_published_pins_have_the_form_of_md5s():
    for archive in IMAGE_ARCHIVES.values():
        for digest in (archive.md5, *archive.files.values()):
            assert re.fullmatch(r"[0-9a-f]{32}", digest)
        assert archive.url.startswith("https://www.cs.toronto.edu/~kriz/")
        assert archive.url.endswith(archive.archive)


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_good_archive_unpacks_in_torchvision_layout_and_loads(name, tmp_path, writers):
    archive, path = make_archive(tmp_path, writers, name)
    data = tmp_path / "data"
    folder = unpack_archive(archive, path, data)
    assert folder == data / archive.folder
    assert _entries(data) == [archive.folder] + sorted(
        f"{archive.folder}/{f}" for f in archive.files
    )
    assert check_unpacked(archive, data) is None
    batch = load_batch(name, path=data, batch_size=4, seed=0, split="test")
    assert batch.source == name and batch.batch_size == 4


def test_a_file_with_another_md5_is_refused_and_nothing_is_left(tmp_path, writers):
    archive, path = make_archive(tmp_path, writers)
    files = dict(archive.files, test_batch="0" * 32)
    data = tmp_path / "data"
    with pytest.raises(DataError, match="test_batch has md5 .* the published one is 0{32}") as e:
        unpack_archive(replace(archive, files=files), path, data)
    assert "\n" not in str(e.value)
    assert _entries(data) == []


def test_a_missing_file_is_refused(tmp_path, writers):
    archive, path = make_archive(tmp_path, writers)
    files = dict(archive.files, data_batch_6="0" * 32)
    data = tmp_path / "data"
    with pytest.raises(DataError, match="data_batch_6 missing from the archive"):
        unpack_archive(replace(archive, files=files), path, data)
    assert _entries(data) == []


def _tar_with(path: Path, name: str, content: bytes = b"x", kind: bytes = tarfile.REGTYPE):
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.size = len(content) if kind == tarfile.REGTYPE else 0
        if kind == tarfile.SYMTYPE:
            info.linkname = "/etc/passwd"
        tar.addfile(info, io.BytesIO(content) if kind == tarfile.REGTYPE else None)


@pytest.mark.parametrize(
    ("member", "kind", "message"),
    [
        ("../evil", tarfile.REGTYPE, "unexpected member '../evil'"),
        ("/abs/evil", tarfile.REGTYPE, "unexpected member '/abs/evil'"),
        ("other-folder/x", tarfile.REGTYPE, "everything must be inside cifar-10-batches-py/"),
        ("cifar-10-batches-py/link", tarfile.SYMTYPE, "is not a regular file"),
    ],
)
def test_odd_members_are_refused(member, kind, message, tmp_path):
    path = tmp_path / "odd.tar.gz"
    _tar_with(path, member, kind=kind)
    data = tmp_path / "data"
    with pytest.raises(DataError, match=re.escape(message)):
        unpack_archive(IMAGE_ARCHIVES["cifar10"], path, data)
    assert _entries(data) == []
    assert not (tmp_path / "evil").exists()


def test_a_cut_archive_is_a_one_line_error(tmp_path, writers):
    archive, path = make_archive(tmp_path, writers)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    data = tmp_path / "data"
    with pytest.raises(DataError, match="not a readable .tar.gz archive") as caught:
        unpack_archive(archive, path, data)
    assert "\n" not in str(caught.value)
    assert _entries(data) == []


def test_an_existing_folder_needs_force_and_is_then_replaced(tmp_path, writers):
    archive, path = make_archive(tmp_path, writers)
    data = tmp_path / "data"
    (data / archive.folder).mkdir(parents=True)
    (data / archive.folder / "stray").write_text("old")
    with pytest.raises(DataError, match="already exists .* pass --force"):
        unpack_archive(archive, path, data)
    assert check_unpacked(archive, data).endswith(f"of {archive.archive}")
    unpack_archive(archive, path, data, force=True)
    assert check_unpacked(archive, data) is None
    assert not (data / archive.folder / "stray").exists()
    assert _entries(data) == [archive.folder] + sorted(
        f"{archive.folder}/{f}" for f in archive.files
    )


def test_check_unpacked_sees_a_changed_file(tmp_path, writers):
    archive, path = make_archive(tmp_path, writers)
    data = tmp_path / "data"
    unpack_archive(archive, path, data)
    with open(data / archive.folder / "data_batch_3", "ab") as handle:
        handle.write(b"!")
    assert "data_batch_3: md5" in check_unpacked(archive, data)
