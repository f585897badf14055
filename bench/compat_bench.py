#!/usr/bin/env python3
"""Effective compat's speed (issue 36), as ratios of the import floor:
  floor   python -c 'import typer, jinja2, tree_sitter, tree_sitter_c'
  show    qscaffold compat show pc-q35-7.2     (goal: within 2x the floor, QOM facts cached)
  diff    qscaffold compat diff pc-q35-7.2 pc-q35-10.0
and, in one process, `compat diff` over every pair of the q35 family's types (goal: a few
seconds), the lists computed once each as the command computes them.

Usage: bench/compat_bench.py [RELEASE] [--runs N]     (RELEASE defaults to 10.2)
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bump_bench import bench_args
from ratios import alternate, qscaffold


def main() -> None:
    args, tree = bench_args()
    floor = [sys.executable, "-c", "import typer, jinja2, tree_sitter, tree_sitter_c"]
    q = qscaffold()
    medians = alternate({
        "floor": floor,
        "show": [*q, "compat", "show", "pc-q35-7.2", "--repo", str(tree)],
        "diff": [*q, "compat", "diff", "pc-q35-7.2", "pc-q35-10.0", "--repo", str(tree)],
    }, args.runs)
    base = medians["floor"]
    for name, ms in medians.items():
        print(f"{name:6} {ms:7.1f} ms  {ms / base:4.2f}x the floor")

    from scaffold.commands.compat_report import differences
    from scaffold.reading import effective
    from scaffold.reading.tree import QemuTree

    start = time.perf_counter()
    parsed = QemuTree.open(tree)
    q35 = [m for m in effective.machine_types(parsed) if m.family == "q35"]
    lists = [effective.compute(parsed, m) for m in q35]
    pairs = 0
    for i, a in enumerate(lists):
        for b in lists[i + 1:]:
            differences(a, b)
            pairs += 1
    print(f"every pair of q35's {len(q35)} types ({pairs} diffs): "
          f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
