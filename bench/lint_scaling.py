#!/usr/bin/env python3
"""`qscaffold lint` on a compat array of 5,000, 10,000 and 20,000 extra entries of one
property with different values (the qom-entries fixture's hw_compat_11_0 grown, every
entry judged against the next newer one of its type and property): the time must grow
as the array does, not as its square (issue 37, item 19: before, 5,000 took 4.9 s,
20,000 took 116 s and 100,000 did not finish in 120 s; L205's search of a newer entry
scanned every entry for each).
Usage: bench/lint_scaling.py [--runs N]
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

FIXTURE = HERE.parent / "tests" / "fixtures" / "qom-entries" / "before"
ARRAY = "GlobalProperty hw_compat_11_0[] = {\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    q = qscaffold()
    previous = None
    for count in (5_000, 10_000, 20_000):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "tree"
            shutil.copytree(FIXTURE, root)
            machine = root / "hw/core/machine.c"
            entries = "".join(f'    {{ "virtio-blk-device", "num-queues", "{i}" }},\n'
                              for i in range(count))
            machine.write_text(machine.read_text().replace(ARRAY, ARRAY + entries, 1))
            cmd = q + ["lint", "--repo", str(root)]
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
