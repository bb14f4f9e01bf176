"""Input source `auto`: the target's own images when found, else Fashion-MNIST, else synthetic."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.inputs import choose_source, describe_images, load_batch, load_batches


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No image set in any usual place: an empty working folder, HOME and TORCH_HOME."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("HARNESS_DATA", raising=False)
    monkeypatch.setattr("harness.inputs.fashion_mnist.DEFAULT_FOLDER", tmp_path / "no-fmnist")
    return tmp_path


def test_target_images_in_the_data_folder_come_first(nowhere, writers):
    data = nowhere / "data-folder"
    folder = writers.write_cifar10(data)[0]
    writers.write_cifar10(nowhere / "home" / ".torch" / "cifar.python")
    choice = choose_source("cifar10", data_dir=data)
    assert (choice.source, choice.path, choice.notes) == ("cifar10", str(folder), ())


@pytest.mark.parametrize(
    ("where", "dataset", "source"),
    [
        ("data", "cifar10", "cifar10"),  # ./data, torchvision's examples' root
        ("torch_home/cifar.python", "cifar100", "cifar100"),
        ("home/.torch/cifar.python", "cifar10-valid", "cifar10"),
        ("home/.torch/cifar.python/ImageNet16", "ImageNet16-120", "imagenet16-120"),
    ],
)
def test_usual_places_are_searched(where, dataset, source, nowhere, writers, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(nowhere / "torch_home"))
    if source == "cifar10":
        writers.write_cifar10(nowhere / where)
    elif source == "cifar100":
        writers.write_cifar100(nowhere / where)
    else:
        writers.write_imagenet16(nowhere / where)
    choice = choose_source(dataset, data_dir=nowhere / "empty")
    assert choice.source == source and choice.notes == ()
    assert choice.path.startswith(str(nowhere / where)) or choice.path.startswith(where)


def test_the_given_path_is_searched_first(nowhere, writers):
    folder = writers.write_cifar100(nowhere / "mine")[0]
    choice = choose_source("cifar100", data_dir=nowhere / "empty", path=nowhere / "mine")
    assert (choice.source, choice.path) == ("cifar100", str(folder))


def test_missing_target_falls_back_to_fashion_mnist_with_one_note(nowhere, writers):
    data = nowhere / "data-folder"
    writers.write_fashion_mnist(data / "fashion-mnist")
    choice = choose_source("cifar10", data_dir=data)
    assert (choice.source, choice.path) == ("fashion-mnist", str(data / "fashion-mnist"))
    (note,) = choice.notes
    assert "no CIFAR-10 images found" in note and str(data) in note
    assert "`harness data fetch cifar10`" in note and "scoring on Fashion-MNIST" in note


def test_imagenet16_note_points_at_the_listing(nowhere, writers):
    writers.write_fashion_mnist(nowhere / "d" / "fashion-mnist")
    (note,) = choose_source("ImageNet16-120", data_dir=nowhere / "d").notes
    assert "no ImageNet16-120 images found" in note and "`harness data list`" in note


def test_without_fashion_mnist_the_batch_is_synthetic_with_a_warning(nowhere, capsys):
    with pytest.warns(UserWarning, match="Fashion-MNIST not found"):
        batches = load_batches(
            "auto", seed=0, num_classes=10, second=False, dataset="cifar10",
            data_dir=nowhere / "d", batch_size=4, image_size=32,
        )  # fmt: skip
    assert batches.first.source == "synthetic"
    assert "Fashion-MNIST is not installed either" in batches.notes[0]
    assert "input fallback" in batches.notes[1]
    err = capsys.readouterr().err
    assert "harness: note: input auto" in err and "WARNING:" in err


def test_auto_batches_with_the_target_present_have_no_note(nowhere, writers):
    writers.write_cifar10(nowhere / "d")
    batches = load_batches(
        "auto", seed=0, num_classes=10, second=True, dataset="cifar10", data_dir=nowhere / "d",
        batch_size=4, image_size=32,
    )  # fmt: skip
    assert batches.first.source == batches.second.source == "cifar10"
    assert not [n for n in batches.notes if "auto" in n]


def test_load_batch_itself_refuses_auto():
    with pytest.raises(ConfigError, match="auto follows the target data set"):
        load_batch("auto", batch_size=2, seed=0)


def test_describe_images():
    own = describe_images(
        "cifar10", batch_size=64, split="train", class_balanced=True, dataset="cifar10"
    )
    assert own == ("64 CIFAR-10 train images, class-balanced (the target's own data set)", True)
    other = describe_images(
        "fashion-mnist", batch_size=20, split="train", class_balanced=False, dataset="cifar100"
    )
    assert other == ("20 Fashion-MNIST train images, not the target's own CIFAR-100 images", False)
    noise = describe_images(
        "synthetic", batch_size=8, split="train", class_balanced=True, dataset="cifar10"
    )
    assert noise[0].startswith("8 synthetic Gaussian images (no real images), not the target")
