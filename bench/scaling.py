#!/usr/bin/env python3
"""Commands on compat arrays grown large: the time must grow as the array does, not as
its square.

- `compat-add`: `qscaffold compat add -n` on hw_compat_11_1 of the layout-11.2 fixture
  grown to 15,000, 30,000 and 60,000 entries (issue 30, item 22: before, 30,000 entries
  took 11 s and 60,000 41 s).
- `lint`: `qscaffold lint` on hw_compat_11_0 of the qom-entries fixture grown by 5,000,
  10,000 and 20,000 entries of one property with different values, each judged against
  the next newer one of its type and property (issue 37, item 19: before, 5,000 took 4.9 s,
  20,000 took 116 s and 100,000 did not finish in 120 s; L205's search of a newer entry
  scanned every entry for each).

Usage: bench/scaling.py [compat-add|lint] [--runs N]   (both when none is named)
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from ratios import ENV, qscaffold  # noqa: E402  (bench/ is the script's folder)

FIXTURES = HERE.parent / "tests" / "fixtures"


class Case(NamedTuple):
    fixture: str
    array: str                       # the array grown
    entry: str                       # one entry, {i} its number
    counts: tuple[int, ...]
    args: Callable[[Path], list[str]]


CASES = {
    "compat-add": Case("layout-11.2", "hw_compat_11_1",
                       '    {{ "virtio-blk-device", "x-prop-{i}", "off" }},\n',
                       (15_000, 30_000, 60_000),
                       lambda root: ["compat", "add", "virtio-blk-device", "num-queues", "1",
                                     "--release", "11.1", "-n", "--repo", str(root)]),
    "lint": Case("qom-entries", "hw_compat_11_0",
                 '    {{ "virtio-blk-device", "num-queues", "{i}" }},\n',
                 (5_000, 10_000, 20_000), lambda root: ["lint", "--repo", str(root)]),
}


def run(case: Case, runs: int) -> None:
    q = qscaffold()
    previous = None
    head = f"GlobalProperty {case.array}[] = {{\n"
    for count in case.counts:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "tree"
            shutil.copytree(FIXTURES / case.fixture / "before", root)
            machine = root / "hw/core/machine.c"
            entries = "".join(case.entry.format(i=i) for i in range(count))
            machine.write_text(machine.read_text().replace(head, head + entries, 1))
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                subprocess.run(q + case.args(root), capture_output=True,
                               env=dict(ENV, QSCAFFOLD_CACHE=tmp))
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            ratio = f"   x{median / previous:.2f} for twice the entries" if previous else ""
            print(f"  {count:6,} entries   {median:6.2f} s{ratio}")
            previous = median


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", nargs="?", choices=sorted(CASES))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    for name in [args.case] if args.case else sorted(CASES):
        print(f"{name}:")
        run(CASES[name], args.runs)


if __name__ == "__main__":
    main()
