"""Throughput benchmark of the proxies: `harness bench` and the pytest-benchmark suites.

Front door: `run_bench(BenchOptions(...))` measures, on a seeded sample of a space, the
floor (one forward+backward), every proxy through the shared-pass engine and naively
(alone, on its own copy), and peak memory; `summarise_bench` turns that into table
rows and `bench_document` into bench.json. See `harness.bench.workload` for what each
measurement is and `harness.bench.memory` for how memory is measured.
"""

from harness.bench.measure import SHARED_PASS_SET, BenchOptions, BenchRun, run_bench
from harness.bench.report import bench_document, environment, render, title, write_document
from harness.bench.summary import BenchRow, summarise_bench

__all__ = [
    "SHARED_PASS_SET",
    "BenchOptions",
    "BenchRow",
    "BenchRun",
    "bench_document",
    "environment",
    "render",
    "run_bench",
    "summarise_bench",
    "title",
    "write_document",
]
