#!/usr/bin/env python3
"""`qscaffold lint --since` on a history at upstream's scale (bench/since_history.py: about
120,000 commits, the real 10.2 tree on the tip), the QOM model warm.

The measure is CPU time, qscaffold's and its git children's together (the goal: at most
5 s), and the wall clock beside it; medians of --runs runs for `--since last-cycle` (the
bump that opened the last cycle) and `--since newest`, on the same checkout run after
run, and on a fresh clone for every run as a CI job has (new paths and stamps: only the
files' content tells them from the history's own checkout, linted first).  Both must find
the three entries the last cycle put into hw_compat_10_0: two in the wrong array (L206),
one right (L902).
Usage: bench/lint_since_bench.py [--runs N] [--commits N]
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from ratios import ENV, qscaffold  # noqa: E402  (bench/ is the script's folder)


def run(cmd: list[str]) -> tuple[float, float, dict]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--commits", type=int, default=120_000)
    args = ap.parse_args()
    history = Path(subprocess.run([sys.executable, str(HERE / "since_history.py"), "--commits",
                                   str(args.commits)], check=True, capture_output=True,
                                  text=True).stdout.split()[-1])
    q = qscaffold()
    subprocess.run(q + ["lint", "--repo", str(history)], capture_output=True, env=ENV)  # warm
    print(f"history: {history} ({(history / '.bench-complete').read_text().strip()})")
    for fresh in (False, True):
        print("a fresh clone for every run (as a CI job's checkout): git clone, then lint"
              if fresh else "the same checkout, run after run:")
        for since in ("last-cycle", "newest"):
            cpus, walls = [], []
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory(prefix="qscaffold-bench-") as tmp:
                    repo = history
                    if fresh:   # new paths, new stamps: only content can be recognised
                        repo = Path(tmp) / "clone"
                        subprocess.run(["git", "clone", "-q", str(history), str(repo)],
                                       check=True)
                    cpu, wall, report = run(q + ["lint", "--since", since, "--repo",
                                                 str(repo), "--json"])
                cpus.append(cpu)
                walls.append(wall)
            codes = sorted(f["code"] for f in report["findings"]
                           if f["code"] in ("L206", "L902"))
            ok = "ok" if codes == ["L206", "L206", "L902"] else f"WRONG: {codes}"
            print(f"  lint --since {since:<11} CPU {statistics.median(cpus):6.2f} s   wall "
                  f"{statistics.median(walls):6.2f} s   findings {ok}")


if __name__ == "__main__":
    main()
