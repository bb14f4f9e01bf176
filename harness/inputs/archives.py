"""The image sets `harness data fetch` can download, and unpacking their archives safely.

CIFAR-10 and CIFAR-100 come from their authors' site as python-pickle archives
(`cifar-10-python.tar.gz`, `cifar-100-python.tar.gz`). No machine of ours can download them,
so their pins are the md5 sums the site and torchvision publish (for the archive and for
every file in it), not a sha256 of our own. `unpack_archive` extracts one into a temporary
folder beside its destination, checks every expected file against its md5 and that the
pickles decode, and only then renames the folder into place: the data folder ends up with
torchvision's layout (`<data>/cifar-10-batches-py/`, `<data>/cifar-100-python/`), which the
cifar input sources read, or with nothing new at all.

ImageNet16-120 has no public direct download; `IMAGENET16_GUIDE` says where it comes from
and where its files go.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import DataError

CIFAR_PAGE = "https://www.cs.toronto.edu/~kriz/cifar.html"


@dataclass(frozen=True)
class ImageArchive:
    """One downloadable image set: its archive, where it unpacks and what must be inside."""

    source: str  #: the input source that reads it ("cifar10")
    archive: str  #: the archive's file name, also its name in the data folder
    url: str
    md5: str  #: of the archive, as the site and torchvision publish it
    folder: str  #: the folder the archive holds (torchvision's layout)
    #: every file the folder must hold, with its published md5
    files: dict[str, str] = field(default_factory=dict)
    page: str = CIFAR_PAGE


IMAGE_ARCHIVES: dict[str, ImageArchive] = {
    "cifar10": ImageArchive(
        source="cifar10",
        archive="cifar-10-python.tar.gz",
        url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        md5="c58f30108f718f92721af3b95e74349a",
        folder="cifar-10-batches-py",
        files={
            "data_batch_1": "c99cafc152244af753f735de768cd75f",
            "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
            "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
            "data_batch_4": "634d18415352ddfa80567beed471001a",
            "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
            "test_batch": "40351d587109b95175f43aff81a1287e",
            "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
        },
    ),
    "cifar100": ImageArchive(
        source="cifar100",
        archive="cifar-100-python.tar.gz",
        url="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        md5="eb9058c3a382ffc7106e4002c42a8d85",
        folder="cifar-100-python",
        files={
            "train": "16019d7e3df5f24257cddd939b257f8d",
            "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
            "meta": "7973b15100ade9c7d40fb424638fde48",
        },
    ),
}

#: Where ImageNet16-120 comes from and where it goes (no public direct download).
IMAGENET16_GUIDE = (
    "ImageNet16-120 has no public direct download: get the 16x16 downsampled ImageNet "
    "pickles as NAS-Bench-201's instructions say (https://github.com/D-X-Y/NAS-Bench-201, "
    "'ImageNet16'; the originals are image-net.org's 'Downsampled ImageNet 16x16', after "
    "registering) and put train_data_batch_1..10 and val_data in <data folder>/ImageNet16/"
)


def md5_of(path: str | os.PathLike[str]) -> str:
    """The hex md5 of a file's bytes (the checksum the CIFAR site publishes)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def unpacked_state(archive: ImageArchive, data_dir: str | os.PathLike[str]) -> str:
    """`present` (every expected file there), `partial` (the folder, lacking some) or
    `missing`, for `archive`'s folder in `data_dir` (files are not hashed here)."""
    folder = Path(data_dir) / archive.folder
    if not folder.is_dir():
        return "missing"
    if all((folder / name).is_file() for name in archive.files):
        return "present"
    return "partial"


def unpack_archive(
    archive: ImageArchive,
    archive_path: str | os.PathLike[str],
    data_dir: str | os.PathLike[str],
    *,
    force: bool = False,
) -> Path:
    """Extract `archive_path` into `data_dir/<folder>` (see the module docstring).

    Only regular files inside the archive's folder are extracted (links, devices and paths
    leaving it are refused). A destination that already exists is an error unless `force`,
    which replaces it once the new folder is verified. Returns the folder.
    """
    # deferred: the cifar loader pulls in numpy and torch
    from harness.inputs import cifar

    archive_path, data_dir = Path(archive_path), Path(data_dir)
    destination = data_dir / archive.folder
    if destination.exists() and not force:
        raise DataError(
            f"{destination}: already exists and lacks or differs from the files of "
            f"{archive.archive}; pass --force to replace it"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{archive.folder}.", suffix=".part", dir=data_dir))
    try:
        _extract(archive, archive_path, staging)
        unpacked = staging / archive.folder
        for name, expected in archive.files.items():
            path = unpacked / name
            if not path.is_file():
                raise DataError(f"{archive_path}: {archive.folder}/{name} missing from the archive")
            actual = md5_of(path)
            if actual != expected:
                raise DataError(
                    f"{archive_path}: {archive.folder}/{name} has md5 {actual}, the published "
                    f"one is {expected}"
                )
        for split in cifar.SPLITS:  # every pickle decodes, with the right shapes
            cifar.load_images(archive.source, unpacked, split)
        cifar._load_cached.cache_clear()  # the staging path is about to go
        if destination.exists():
            old = staging / "replaced"
            os.replace(destination, old)
        os.replace(unpacked, destination)
        return destination
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _extract(archive: ImageArchive, archive_path: Path, into: Path) -> None:
    try:
        with tarfile.open(archive_path, "r:gz") as tar:
            members = []
            for member in tar.getmembers():
                parts = Path(member.name).parts
                if member.name.startswith("/") or ".." in parts or parts[:1] != (archive.folder,):
                    raise DataError(
                        f"{archive_path}: unexpected member {member.name!r} (everything must "
                        f"be inside {archive.folder}/)"
                    )
                if member.isdir():
                    continue
                if not member.isfile():
                    raise DataError(f"{archive_path}: {member.name!r} is not a regular file")
                members.append(member)
            tar.extractall(into, members=members, filter="data")
    except DataError:
        raise
    except (tarfile.TarError, EOFError, OSError) as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        raise DataError(f"{archive_path}: not a readable .tar.gz archive ({reason})") from None


def check_unpacked(archive: ImageArchive, data_dir: str | os.PathLike[str]) -> str | None:
    """None when `data_dir/<folder>` holds every file of `archive` with its published md5,
    else what is wrong (one line naming the folder or file)."""
    folder = Path(data_dir) / archive.folder
    missing = [name for name in archive.files if not (folder / name).is_file()]
    if missing:
        return f"{folder}: lacks {', '.join(missing)} of {archive.archive}"
    for name, expected in archive.files.items():
        actual = md5_of(folder / name)
        if actual != expected:
            return f"{folder / name}: md5 {actual} differs from the published {expected}"
    return None
