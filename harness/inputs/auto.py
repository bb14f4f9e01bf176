"""Input source `auto`: the target data set's own images when they are on this machine.

For a target of CIFAR-10, CIFAR-100 or ImageNet16-120, `choose_source` looks for that data
set's files in this order: the given input path, the data folder (where `harness data fetch`
unpacks them), `./data` (torchvision's examples' root), `$TORCH_HOME/cifar.python` and
`~/.torch/cifar.python` (NAS-Bench-201's, xautodl's default; ImageNet16-120 in its
`ImageNet16/` subfolder). The first folder holding them is used. Otherwise Fashion-MNIST
stands in (the data folder's `fashion-mnist/`, else Debian's package folder), with one note
naming the command that fetches the target's images (or, for ImageNet16-120, where to get
them); without Fashion-MNIST either, the batch loader falls back to synthetic images with
its warning. `describe_images` is the one line results and leaderboards print about them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harness.datadir import resolve_data_dir
from harness.errors import DataError
from harness.inputs import cifar, fashion_mnist, imagenet16
from harness.inputs.archives import IMAGE_ARCHIVES, IMAGENET16_GUIDE

NAME = "auto"

#: Display names of the sources, for titles and notes.
LABELS = {
    "cifar10": "CIFAR-10",
    "cifar100": "CIFAR-100",
    "imagenet16-120": "ImageNet16-120",
    "fashion-mnist": "Fashion-MNIST",
    "synthetic": "synthetic Gaussian",
    "npz": "npz-file",
}


@dataclass(frozen=True)
class AutoChoice:
    """What `auto` resolved to: a source, the folder to read it from, and its notes."""

    source: str
    path: str | None
    notes: tuple[str, ...] = ()


def target_source(dataset: str | None) -> str | None:
    """The input source holding `dataset`'s own images (cifar10, cifar100, imagenet16-120),
    or None for a data set we have no images of."""
    name = (dataset or "").strip().lower().replace("_", "-")
    if name.startswith("cifar100"):
        return "cifar100"
    if name.startswith("cifar10"):
        return "cifar10"
    if name.startswith("imagenet16"):
        return "imagenet16-120"
    return None


def search_folders(source: str, data_dir: str | os.PathLike[str] | None) -> list[Path]:
    """Where `auto` looks for `source`'s files, in order (see the module docstring); the
    data folder `data_dir` None is the default one ($HARNESS_DATA, else ./data)."""
    folders = [resolve_data_dir(data_dir, must_exist=False), Path("data")]
    torch_home = os.environ.get("TORCH_HOME")
    if torch_home:
        folders.append(Path(torch_home).expanduser() / "cifar.python")
    folders.append(Path("~/.torch/cifar.python").expanduser())
    unique: list[Path] = []
    for folder in folders:
        if folder not in unique:
            unique.append(folder)
    return unique


def find_images(source: str, folders: list[Path]) -> Path | None:
    """The first of `folders` (or its usual subfolder) holding `source`'s files."""
    for folder in folders:
        try:
            if source == imagenet16.NAME:
                return imagenet16.find_folder(folder)
            return cifar.find_folder(cifar.VARIANTS[source], folder)
        except DataError:
            continue
    return None


def fashion_mnist_folder(data_dir: str | os.PathLike[str] | None) -> Path | None:
    """The data folder's `fashion-mnist/` if it holds the four files, else Debian's folder
    if it does, else None."""
    candidates = [
        resolve_data_dir(data_dir, must_exist=False) / "fashion-mnist",
        fashion_mnist.DEFAULT_FOLDER,
    ]
    for folder in candidates:
        if fashion_mnist.fashion_mnist_available(folder):
            return folder
    return None


def how_to_get(source: str) -> str:
    """The command (or, for ImageNet16-120, the place) that gets `source`'s images."""
    if source in IMAGE_ARCHIVES:
        return f"`harness data fetch {source}` downloads them"
    if source == imagenet16.NAME:
        return "no public direct download; `harness data list` says where to get them"
    if source == fashion_mnist.NAME:
        return "install the Debian package dataset-fashion-mnist"
    return "no download known"


def choose_source(
    dataset: str | None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> AutoChoice:
    """The source `auto` reads for a target of `dataset` (see the module docstring)."""
    own = target_source(dataset)
    if own is not None:
        folders = search_folders(own, data_dir)
        if path:
            folders.insert(0, Path(path).expanduser())
        found = find_images(own, folders)
        if found is not None:
            return AutoChoice(own, str(found))
        looked = ", ".join(str(f) for f in folders)
        missing = f"no {LABELS[own]} images found (looked in {looked}); {how_to_get(own)}"
    else:
        missing = f"no images of data set {dataset!r} known to the harness"
    fallback = fashion_mnist_folder(data_dir)
    if fallback is not None:
        note = f"input auto: {missing}; scoring on Fashion-MNIST instead"
        return AutoChoice(fashion_mnist.NAME, str(fallback), (note,))
    note = f"input auto: {missing}; Fashion-MNIST is not installed either"
    return AutoChoice(fashion_mnist.NAME, None, (note,))


def describe_images(
    source: str, *, batch_size: int, split: str, class_balanced: bool, dataset: str | None
) -> tuple[str, bool]:
    """(one line saying which images a run scored on, whether they are the target's own)."""
    label = LABELS.get(source, source)
    own = target_source(dataset)
    is_own = own is not None and own == source
    balance = ", class-balanced" if class_balanced and source != "synthetic" else ""
    text = f"{batch_size} {label} {split} images{balance}"
    if source == "synthetic":
        text = f"{batch_size} synthetic Gaussian images (no real images)"
    if dataset and not is_own:
        target = LABELS.get(own, dataset) if own else dataset
        text += f", not the target's own {target} images"
    elif is_own:
        text += " (the target's own data set)"
    return text, is_own


@dataclass(frozen=True)
class ImageSetState:
    """Where one image set is (`present`) or not (`missing`), and how to get it."""

    name: str
    status: str
    where: str | None
    how: str


def image_set_states(data_dir: str | os.PathLike[str] | None) -> list[ImageSetState]:
    """The image sets `auto` can use, each with where it was found or how to get it."""
    states = []
    for source in ("cifar10", "cifar100", imagenet16.NAME):
        found = find_images(source, search_folders(source, data_dir))
        how = IMAGENET16_GUIDE if source == imagenet16.NAME else how_to_get(source)
        where = None if found is None else str(found)
        states.append(ImageSetState(source, "present" if found else "missing", where, how))
    fallback = fashion_mnist_folder(data_dir)
    states.append(
        ImageSetState(
            fashion_mnist.NAME,
            "present" if fallback else "missing",
            None if fallback is None else str(fallback),
            how_to_get(fashion_mnist.NAME) + " (auto's stand-in when the target's are missing)",
        )
    )
    return states
