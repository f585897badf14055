#!/usr/bin/env python3
"""`qscaffold lint` and `qscaffold qom TYPE`, warm and cold, against the import floor.

  floor       python -c 'import typer, jinja2, tree_sitter, tree_sitter_c'
  lint        warm (goal: within 2x the floor)
  qom TYPE    warm (goal: within 1.5x the floor)
  lint cold   an empty cache: every file read and parsed (goal: within 5 s)

Warm runs alternate with the floor, `--runs` times each, and medians are compared (the
machine is noisy).  Usage: bench/lint_bench.py [RELEASE] [--runs N]
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bump_bench import bench_args  # noqa: E402  (bench/ is the script's folder)
from ratios import ENV, alternate, qscaffold  # noqa: E402


def main() -> None:
    args, tree = bench_args()
    q = qscaffold()
    m = alternate({
        "floor": [sys.executable, "-c", "import typer, jinja2, tree_sitter, tree_sitter_c"],
        "lint": q + ["lint", "--repo", str(tree)],
        "qom": q + ["qom", "virtio-blk-pci", "--repo", str(tree)],
    }, args.runs)
    cold = []
    for _ in range(max(1, args.runs // 5)):
        with tempfile.TemporaryDirectory() as cache:
            start = time.perf_counter()
            subprocess.run(q + ["lint", "--repo", str(tree)], capture_output=True,
                           env=dict(ENV, QSCAFFOLD_CACHE=cache))
            cold.append(time.perf_counter() - start)
    print(f"tree: {tree.name}, medians of {args.runs} alternating runs")
    print(f"  import floor                 {m['floor']:7.1f} ms")
    print(f"  lint (warm)                  {m['lint']:7.1f} ms   {m['lint'] / m['floor']:.2f}x floor")
    print(f"  qom virtio-blk-pci (warm)    {m['qom']:7.1f} ms   {m['qom'] / m['floor']:.2f}x floor")
    print(f"  lint (cold, {len(cold)} runs)          {statistics.median(cold):7.2f} s")


if __name__ == "__main__":
    main()
