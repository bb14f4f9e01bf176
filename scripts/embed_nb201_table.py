"""Write the package's embedded NAS-Bench-201 table from the pinned CSV.

    python scripts/embed_nb201_table.py [--data-dir DIR]

Reads `nb201/nats_tss_test_accuracy.csv` from the data folder (checked against the
manifest's sha256) and writes `harness/tables/data/nb201_test_accuracy.{npz,json}`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.tables import load_table
from harness.tables.embedded import EMBEDDED_DIR, write_embedded_nb201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="data folder (default: $HARNESS_DATA, else ./data)")
    parser.add_argument("--out", default=str(EMBEDDED_DIR), help="where to write")
    args = parser.parse_args()
    table = load_table("nb201-csv", args.data_dir)
    if table.sources[0].name.startswith("embedded:"):
        raise SystemExit("the CSV is not in the data folder: give --data-dir")
    written = write_embedded_nb201(table, args.out)
    for path in sorted(Path(args.out).glob("nb201_test_accuracy.*")):
        print(f"{path}  {path.stat().st_size:,} bytes")
    print(f"provenance: {written}")


if __name__ == "__main__":
    main()
