"""Time `ExcludePadAvgPool2d` against `nn.AvgPool2d(count_include_pad=False)`.

    python3 -m benchmarks.bench_pool             # from the repository root
    python3 -m benchmarks.bench_pool --threads 2 --repeats 50

Forward + backward (gradient of the output with a ones cotangent) on the feature-map
shapes of NB201's three stages at batch 64, side by side in one process, one torch
thread by default. Prints median milliseconds per call, their ratio and the largest
difference between the two outputs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from harness.spaces.fast_pool import ExcludePadAvgPool2d

SHAPES = ((64, 16, 32, 32), (64, 32, 16, 16), (64, 64, 8, 8))


def _median_ms(pool: nn.Module, x: torch.Tensor, repeats: int) -> float:
    times = []
    for _ in range(repeats + 3):
        started = time.perf_counter()
        out = pool(x)
        out.backward(torch.ones_like(out))
        times.append(time.perf_counter() - started)
    return statistics.median(times[3:]) * 1e3


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    reference = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    fast = ExcludePadAvgPool2d(3, stride=1, padding=1)
    print(f"torch {torch.__version__}, {args.threads} thread(s), median of {args.repeats}\n")
    print("| shape | AvgPool2d ms | ExcludePadAvgPool2d ms | ratio | max abs diff |")
    print("|---|---:|---:|---:|---:|")
    for shape in SHAPES:
        x = torch.randn(*shape, requires_grad=True)
        slow_ms = _median_ms(reference, x, args.repeats)
        fast_ms = _median_ms(fast, x, args.repeats)
        with torch.no_grad():
            diff = float((reference(x) - fast(x)).abs().max())
        shape_text = "x".join(map(str, shape))
        ratio = slow_ms / fast_ms
        print(f"| {shape_text} | {slow_ms:.2f} | {fast_ms:.2f} | {ratio:.1f} | {diff:.1e} |")


if __name__ == "__main__":
    main()
