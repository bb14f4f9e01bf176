"""Reading the python-pickle data files of CIFAR and ImageNet16 without running their code.

A pickle can call any importable function while it loads, so a data file from elsewhere
could run code. These files only ever hold dicts of numpy arrays, lists, ints and strings,
so the unpickler refuses every global except the few that rebuild numpy arrays. Keys come
back as `str` whether the file was written by Python 2 (str keys), or by Python 3 with
bytes keys (torchvision's CIFAR files read as b'data', b'labels').
"""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import DataError

# (module, name) pairs that rebuild numpy arrays and scalars; numpy 1 pickles name
# `numpy.core`, numpy 2 pickles `numpy._core`.
_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),  # how protocol-2 pickles spell bytes
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        if module.startswith("numpy.core."):
            try:  # numpy 2 moved numpy.core to numpy._core and warns on the old name
                return getattr(importlib.import_module("numpy._core" + module[10:]), name)
            except ImportError:
                pass
        return getattr(importlib.import_module(module), name)


def load_data_dict(path: Path, required: tuple[str, ...]) -> dict[str, Any]:
    """The dict stored in pickle file `path`, with str keys; DataError if unreadable or lacking."""
    try:
        with open(path, "rb") as handle:
            content = _NumpyOnlyUnpickler(handle, encoding="latin1").load()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
    ) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{path}: not a readable data pickle ({reason})") from None
    if not isinstance(content, dict):
        raise DataError(f"{path}: expected a pickled dict, found {type(content).__name__}")
    as_str = {
        (key.decode("latin1") if isinstance(key, bytes) else key): value
        for key, value in content.items()
    }
    missing = [key for key in required if key not in as_str]
    if missing:
        found = ", ".join(sorted(str(key) for key in as_str)) or "none"
        raise DataError(
            f"{path}: missing key {', '.join(repr(k) for k in missing)} (keys found: {found})"
        )
    return as_str


def uint8_rows(path: Path, data: Any, row_length: int) -> np.ndarray:
    """The 'data' entry as uint8 [N, row_length]; DataError on any other type or shape."""
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
        kind = f"{data.dtype} array" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{path}: 'data' must be a uint8 array, found {kind}")
    if data.ndim != 2 or data.shape[1] != row_length:
        raise DataError(
            f"{path}: 'data' must have shape [N, {row_length}], found {list(data.shape)}"
        )
    return data


def integer_labels(path: Path, key: str, labels: Any, count: int) -> np.ndarray:
    """The labels entry as int64 [count]; DataError if not integers or the wrong length."""
    array = np.asarray(labels)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise DataError(f"{path}: {key!r} must be a list of integers")
    if array.shape[0] != count:
        raise DataError(f"{path}: {array.shape[0]} {key!r} for {count} images")
    return array.astype(np.int64)
