"""`--device` values are checked against the machine before any work."""

from __future__ import annotations

import pytest
import torch

from harness.devices import check_device
from harness.errors import ConfigError


def test_cpu_is_always_there():
    assert check_device("cpu") == "cpu"


@pytest.mark.parametrize("text", ["gpu0", "", "cuda:x", "cpu:-1:2"])
def test_malformed_devices(text):
    with pytest.raises(ConfigError, match="not a torch device"):
        check_device(text)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("text", ["cuda", "cuda:7"])
def test_cuda_without_cuda(text):
    with pytest.raises(ConfigError, match="CUDA is not available"):
        check_device(text)


def test_a_cuda_index_beyond_the_machine():
    with pytest.raises(ConfigError, match="cuda:99"):
        check_device("cuda:99")


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
def test_mps_without_mps():
    with pytest.raises(ConfigError, match="MPS is not available"):
        check_device("mps")


def test_other_device_types_are_refused():
    with pytest.raises(ConfigError, match="cpu, cuda"):
        check_device("meta")
