#!/usr/bin/env python3
"""`qscaffold compat add -n` on compat arrays of 15,000, 30,000 and 60,000 entries (the
layout-11.2 fixture's hw_compat_11_1 grown): the time must grow as the array does, not as
its square (issue 30, item 22: before, 30,000 entries took 11 s and 60,000 41 s).
Usage: bench/compat_add_scaling.py [--runs N]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from ratios import ENV, qscaffold  # noqa: E402  (bench/ is the script's folder)

FIXTURE = HERE.parent / "tests" / "fixtures" / "layout-11.2" / "before"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    q = qscaffold()
    previous = None
    for count in (15_000, 30_000, 60_000):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "tree"
            shutil.copytree(FIXTURE, root)
            machine = root / "hw/core/machine.c"
            entries = "".join(f'    {{ "virtio-blk-device", "x-prop-{i}", "off" }},\n'
                              for i in range(count))
            machine.write_text(machine.read_text().replace(
                "GlobalProperty hw_compat_11_1[] = {\n",
                "GlobalProperty hw_compat_11_1[] = {\n" + entries, 1))
            cmd = q + ["compat", "add", "virtio-blk-device", "num-queues", "1", "--release",
                       "11.1", "-n", "--repo", str(root)]
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                subprocess.run(cmd, capture_output=True, env=dict(ENV, QSCAFFOLD_CACHE=tmp))
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            ratio = f"   x{median / previous:.2f} for twice the entries" if previous else ""
            print(f"  {count:6,} entries   {median:6.2f} s{ratio}")
            previous = median


if __name__ == "__main__":
    main()
