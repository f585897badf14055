#!/usr/bin/env python3
"""How long `qscaffold prove` takes over every x86 machine type two binaries share.

Runs the whole command (old: Debian's packaged QEMU, new: a build directory) with the
default device matrix and the x86 baseline, for --jobs 1 and 2, `--runs` times each
alternately, and prints medians (goal: all shared x86 types within 2 minutes on 2 cores).

Usage: bench/prove_bench.py --old BINARY --build-dir DIR [--runs N] [--backward]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def once(old: str, build: str, jobs: int, backward: bool) -> tuple[float, int]:
    cmd = [sys.executable, "-m", "scaffold", "prove", "--old", old, "--build-dir", build,
           "--baseline", str(REPO / "baselines" / "x86_64-7.2-to-10.2.toml"), "--json",
           "--jobs", str(jobs)] + (["--backward"] if backward else [])
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"prove failed: {proc.stderr.strip()}")
    return elapsed, len(json.loads(proc.stdout)["machines"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", required=True)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backward", action="store_true")
    args = parser.parse_args()
    times: dict[int, list[float]] = {1: [], 2: []}
    count = 0
    for _ in range(args.runs):
        for jobs in times:
            elapsed, count = once(args.old, args.build_dir, jobs, args.backward)
            times[jobs].append(elapsed)
    what = "properties, migration" + (" both ways" if args.backward else "")
    print(f"{count} machine types ({what}), {args.runs} runs each")
    for jobs, values in times.items():
        print(f"--jobs {jobs}: median {statistics.median(values):.1f} s "
              f"(min {min(values):.1f}, max {max(values):.1f})")


if __name__ == "__main__":
    main()
