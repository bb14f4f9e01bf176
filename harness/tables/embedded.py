"""The compact NAS-Bench-201 ground truth embedded in the package.

So that the main job runs on a fresh machine with no data folder, the package ships
the test accuracy at 200 epochs on CIFAR-10, CIFAR-100 and ImageNet16-120 of all
15,625 NAS-Bench-201 cells, in benchmark index order: `data/nb201_test_accuracy.npz`
(two arrays, about 220 kB) and its provenance `data/nb201_test_accuracy.json` (the
file it was derived from with its sha256, that file's repository, path and full
commit, the official API call behind the numbers, licence and attribution).

Both are written by `scripts/embed_nb201_table.py` from the manifest's
`nb201/nats_tss_test_accuracy.csv` with `write_embedded_nb201`; the reader checks the
arrays' sha256 against the provenance before use. The table equals `nb201-csv` read
from that CSV, row by row (tested), so a run's sample and target do not depend on
which of the two it read.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import DataError
from harness.spaces.nb201 import OPS, NB201Arch
from harness.tables.base import BenchmarkTable, SourceFile
from harness.tables.manifest import load_manifest, sha256_of

#: Where the package keeps its data files.
EMBEDDED_DIR = Path(__file__).resolve().parent / "data"
ARRAYS_NAME = "nb201_test_accuracy.npz"
PROVENANCE_NAME = "nb201_test_accuracy.json"
#: The manifest file the embedded copy is derived from.
DERIVED_FROM = "nb201/nats_tss_test_accuracy.csv"
ROWS = 15_625

API_CALL = (
    "api = nats_bench.create(None, 'tss', fast_mode=True); for i in range(15625), dataset in "
    "('cifar10', 'cifar100', 'ImageNet16-120'): api.get_more_info(i, dataset, hp='200', "
    "is_random=False)['test-accuracy'] (mean over the benchmark's seeds, percent)"
)
ATTRIBUTION = (
    "NAS-Bench-201 (X. Dong and Y. Yang, ICLR 2020) and NATS-Bench (X. Dong, L. Liu, "
    "K. Musial and B. Gabrys, IEEE TPAMI 2021), https://github.com/D-X-Y/NATS-Bench; CSV "
    "export nats_bench.csv by https://github.com/v-tao/nats-bench-landscape"
)
LICENSE = (
    "The benchmark and its API are MIT-licensed (Copyright (c) since 2020 Xuanyi Dong, "
    "D-X-Y/NATS-Bench); the exporting repository states no licence. The numbers are "
    "benchmark measurements, redistributed with this attribution."
)


@dataclass(frozen=True)
class EmbeddedTable:
    """The embedded arrays with their provenance (the JSON document, as read)."""

    arch_keys: list[str]
    #: ground-truth column name -> float64 array in benchmark index order
    columns: dict[str, np.ndarray]
    provenance: dict[str, Any]
    arrays_path: Path


def _arch_key(indices: np.ndarray) -> str:
    return NB201Arch.from_indices([int(i) for i in indices]).key


def write_embedded_nb201(table: BenchmarkTable, out_dir: str | os.PathLike[str]) -> Path:
    """Write the arrays and provenance of `table` (an `nb201-csv` table read from the
    manifest's pinned CSV) into `out_dir`; returns the provenance file."""
    if table.name != "nb201-csv" or len(table) != ROWS or table.benchmark_index is None:
        raise DataError(f"the embedded table is made from the full nb201-csv table ({ROWS} rows)")
    source = next((s for s in table.sources if s.name == DERIVED_FROM), None)
    entry = load_manifest()[DERIVED_FROM]
    if source is None or source.sha256 != entry.sha256:
        raise DataError(f"{DERIVED_FROM}: the embedded table is made from the pinned file only")
    frame = table.frame.iloc[np.argsort(table.benchmark_index.reindex(table.frame.index))]
    ops = np.array([NB201Arch.from_string(k).to_indices() for k in frame.index], dtype=np.uint8)
    targets = table.targets()
    accuracy = frame[targets].to_numpy(dtype=np.float64)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    arrays = out / ARRAYS_NAME
    np.savez_compressed(arrays, ops=ops, accuracy=accuracy)
    provenance = {
        "description": (
            "NAS-Bench-201 / NATS-Bench topology space: test accuracy (percent) after 200 "
            "epochs, mean over the benchmark's seeds, for all 15,625 cells"
        ),
        "file": ARRAYS_NAME,
        "sha256": sha256_of(arrays),
        "rows": ROWS,
        "order": "row i is the benchmark's architecture index i (0..15624)",
        "arrays": {
            "ops": (
                f"uint8 ({ROWS}, 6): op indices into {list(OPS)}, edges in the benchmark "
                "string's order 0->1, 0->2, 1->2, 0->3, 1->3, 2->3"
            ),
            "accuracy": f"float64 ({ROWS}, {len(targets)}): one column per entry of columns",
        },
        "columns": targets,
        "derived_from": {
            "name": entry.name,
            "sha256": entry.sha256,
            "repository": entry.source,
            "path": entry.source_path,
            "commit": entry.commit,
            "url": entry.url,
        },
        "api_call": API_CALL,
        "attribution": ATTRIBUTION,
        "license": LICENSE,
        "generated_by": "scripts/embed_nb201_table.py",
    }
    path = out / PROVENANCE_NAME
    path.write_text(json.dumps(provenance, indent=2) + "\n")
    return path


def read_embedded_nb201(folder: str | os.PathLike[str] | None = None) -> EmbeddedTable:
    """The embedded arrays, checked against the sha256 their provenance records."""
    root = Path(folder) if folder is not None else EMBEDDED_DIR
    provenance_path = root / PROVENANCE_NAME
    try:
        provenance = json.loads(provenance_path.read_text())
        arrays_path = root / provenance["file"]
        expected = provenance["sha256"]
        columns = list(provenance["columns"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{provenance_path}: unreadable table provenance ({exc})") from None
    try:
        actual = sha256_of(arrays_path)
    except OSError:
        raise DataError(f"{arrays_path}: embedded table missing from the package") from None
    if actual != expected:
        raise DataError(
            f"{arrays_path}: sha256 {actual[:12]}… differs from its provenance's "
            f"{expected[:12]}…; reinstall the package"
        )
    with np.load(arrays_path, allow_pickle=False) as arrays:
        ops, accuracy = arrays["ops"], arrays["accuracy"]
    if ops.shape != (ROWS, 6) or accuracy.shape != (ROWS, len(columns)):
        raise DataError(f"{arrays_path}: arrays of shape {ops.shape} and {accuracy.shape}")
    return EmbeddedTable(
        arch_keys=[_arch_key(row) for row in ops],
        columns={name: accuracy[:, i] for i, name in enumerate(columns)},
        provenance=provenance,
        arrays_path=arrays_path,
    )


def embedded_note(provenance: dict[str, Any]) -> str:
    """The one-line remark a results document carries when it used the embedded table."""
    origin = provenance["derived_from"]
    return (
        f"ground truth: the package's embedded copy of {origin['name']} "
        f"(sha256 {origin['sha256']}, {origin['repository']}@{origin['commit']} "
        f"{origin['path']}); no data-folder file was read"
    )


def embedded_source(embedded: EmbeddedTable) -> SourceFile:
    return SourceFile(
        name=f"embedded:{embedded.provenance['file']}",
        path=str(embedded.arrays_path),
        sha256=embedded.provenance["sha256"],
    )
