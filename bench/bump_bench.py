#!/usr/bin/env python3
"""Time `qscaffold bump --dry-run` on a real QEMU tree.

Reports medians over several runs (timings here are noisy) of:
  - the whole command, as a maintainer runs it (process start included);
  - `git apply --check` of the same patch, a yardstick for "an ordinary git command";
  - the tool's own work in process, part by part: finding the files, reading them,
    planning, checking the result, and git's diff (which the dry run overlaps with the
    check).

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


def next_release(tree: Path):
    """The release a bump of `tree` adds: the one after its newest machine types."""
    from scaffold.reading.reader import read_families
    from scaffold.reading.tree import QemuTree

    return max(f.newest.version for f in read_families(QemuTree.open(tree))[0]).next()


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
    from scaffold.planning import plan as plan_module
    from scaffold.planning.bump import plan_bump
    from scaffold.reading import compat_arrays
    from scaffold.reading.reader import read_families
    from scaffold.reading.tree import QemuTree

    target = next_release(tree)
    cmd = [sys.executable, "-m", "scaffold", "bump", str(target), "--dry-run", "--repo", str(tree)]
    patch = subprocess.run(cmd, check=True, capture_output=True).stdout
    with tempfile.NamedTemporaryFile(suffix=".patch") as fh:
        fh.write(patch)
        fh.flush()
        whole = median_ms(lambda: subprocess.run(cmd, check=True, capture_output=True), args.runs)
        apply = median_ms(lambda: subprocess.run(["git", "apply", "--check", fh.name], cwd=tree,
                                                 check=True, capture_output=True), args.runs)

    def read():
        t = QemuTree.open(tree)
        read_families(t)
        compat_arrays.all_pairs(t, extern=False)
        compat_arrays.all_pairs(t, extern=True)
        return t

    def planned():
        t = read()
        return t, plan_bump(t, target, check_result=False)

    def syntax(state):
        t, p = state
        plan_module.reparsed_without_new_errors(t, p, p.contents(t))

    def checked(state):
        state[1].check_result()

    t, p = planned()
    contents = p.contents(t)
    parts = [
        ("find the files (stat ~3,000, read the few)", median_ms(lambda: QemuTree.open(tree), args.runs)),
        ("read families and arrays (tree-sitter)", median_ms(read, args.runs)),
        ("plan: edits and templates", median_ms(planned, args.runs)),
        ("syntax check of the result (incremental)", _each(planned, syntax, args.runs)),
        ("syntax check and `check` of the result", _each(planned, checked, args.runs)),
        ("the diff through git (runs meanwhile)", median_ms(lambda: diff.unified_diff(contents),
                                                            args.runs)),
    ]
    print(f"tree: {tree.name}, bump {target}, {len(patch.splitlines())} patch lines, "
          f"median of {args.runs} runs")
    print(f"  qscaffold bump --dry-run (whole command): {whole:7.1f} ms")
    print(f"  git apply --check of the same patch:      {apply:7.1f} ms")
    print("in process, cumulative (each line includes the ones above it):")
    for what, ms in parts[:3]:
        print(f"  {what:45s} {ms:7.1f} ms")
    print("in process, on their own:")
    for what, ms in parts[3:]:
        print(f"  {what:45s} {ms:7.1f} ms")


def _each(setup, fn, runs: int) -> float:
    """Median of `fn(setup())`, timing only fn."""
    times = []
    for _ in range(runs + 1):
        state = setup()
        start = time.perf_counter()
        fn(state)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[1:])


if __name__ == "__main__":
    main()
