#!/usr/bin/env python3
"""Time `qscaffold bump --dry-run` on a real QEMU tree.

Reports medians over several runs (timings here are noisy) of:
  - the whole command, as a maintainer runs it (process start included);
  - `git apply --check` of the same patch, a yardstick for "an ordinary git command";
  - the tool's own work in process: discovery + parse + plan, and rendering the diff.

Usage: bench/bump_bench.py [RELEASE] [--runs N]     (RELEASE defaults to 10.2)
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def median_ms(fn, runs: int) -> float:
    fn()  # warm the page cache and imports
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_args() -> tuple[argparse.Namespace, Path]:
    """RELEASE and --runs, and the fetched tree of that release (shared by the benches)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("release", nargs="?", default="10.2")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    tree = Path(subprocess.run([sys.executable, str(REPO / "scripts/fetch-qemu"), args.release],
                               check=True, capture_output=True, text=True).stdout.strip())
    return args, tree


def main() -> None:
    args, tree = bench_args()
    from scaffold.applying import diff
    from scaffold.planning.bump import plan_bump
    from scaffold.reading.tree import QemuTree
    from scaffold.version import Version

    newest = max(f.newest.version for f in
                 __import__("scaffold.reading.machines", fromlist=["x"]).read_families(QemuTree.open(tree))[0])
    target = str(newest.next())
    cmd = [sys.executable, "-m", "scaffold", "bump", target, "--dry-run", "--repo", str(tree)]
    patch = subprocess.run(cmd, check=True, capture_output=True).stdout
    with tempfile.NamedTemporaryFile(suffix=".patch") as fh:
        fh.write(patch)
        fh.flush()
        whole = median_ms(lambda: subprocess.run(cmd, check=True, capture_output=True), args.runs)
        apply = median_ms(lambda: subprocess.run(["git", "apply", "--check", fh.name], cwd=tree,
                                                 check=True, capture_output=True), args.runs)
    state = {}

    def plan():
        state["tree"] = QemuTree.open(tree)
        state["plan"] = plan_bump(state["tree"], Version.parse(target))
        state["contents"] = state["plan"].contents(state["tree"])

    plan_ms = median_ms(plan, args.runs)
    render_ms = median_ms(lambda: diff.unified_diff(state["contents"]), args.runs)
    print(f"tree: {tree.name}, bump {target}, {len(patch.splitlines())} patch lines, "
          f"median of {args.runs} runs")
    print(f"  qscaffold bump --dry-run (whole command): {whole:7.1f} ms")
    print(f"  git apply --check of the same patch:      {apply:7.1f} ms   "
          f"(ratio {whole / apply:.1f}x)")
    print(f"  in process: discover + parse + plan:      {plan_ms:7.1f} ms")
    print(f"  in process: render the diff (git):        {render_ms:7.1f} ms")
    print(f"  in process total:                         {plan_ms + render_ms:7.1f} ms")


if __name__ == "__main__":
    main()
