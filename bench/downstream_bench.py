#!/usr/bin/env python3
"""A distribution's commands on RHEL 9.2's tree, as ratios of the import floor (issue 28:
a downstream bump within 1.5x the floor, as upstream's; the rebase likewise).

The trees are made as the tests make them: Debian's 7.2 source (scripts/fetch-qemu) with
../shared/downstream/rhel-9.2's patches, all of them (the shipped tree, for `bump
rhel9.4.0` and `check`) or those before 0018 (for `compat rebase --from 7.0 --to 7.2`).
Commands run alternately, many times; medians are compared within one run.

Usage: bench/downstream_bench.py [--runs N] [--shared DIR]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from ratios import alternate, qscaffold  # noqa: E402  (bench/ is the script's folder)


def rhel_tree(dest: Path, patches: Path, before: str = "") -> Path:
    source = subprocess.run([str(REPO / "scripts/fetch-qemu"), "7.2"], check=True,
                            capture_output=True, text=True).stdout.split()[-1]
    shutil.copytree(source, dest, symlinks=True)
    for name in (patches / "series").read_text().split():
        if before and name.startswith(before):
            break
        with open(patches / name, "rb") as patch:
            subprocess.run(["patch", "-p1", "-s", "--fuzz=0"], stdin=patch, cwd=dest, check=True)
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = ap.parse_args()
    patches = args.shared / "downstream" / "rhel-9.2"
    if not (patches / "series").is_file():
        sys.exit(f"downstream_bench: {patches} has no series (../shared is needed)")
    q = qscaffold()
    with tempfile.TemporaryDirectory() as tmp:
        shipped = rhel_tree(Path(tmp, "rhel"), patches)
        before = rhel_tree(Path(tmp, "before"), patches, "0018")
        m = alternate({
            "floor": [sys.executable, "-c", "import typer, jinja2, tree_sitter, tree_sitter_c"],
            "bump": q + ["bump", "rhel9.4.0", "--dry-run", "--repo", str(shipped)],
            "rebase": q + ["compat", "rebase", "--from", "7.0", "--to", "7.2", "--dry-run",
                           "--repo", str(before)],
            "check": q + ["check", "--repo", str(shipped)],
            "machines": q + ["machines", "--repo", str(shipped)],
        }, args.runs)
    print(f"RHEL 9.2, medians of {args.runs} alternating runs")
    print(f"  import floor                          {m['floor']:7.1f} ms")
    for name, label in (("bump", "bump rhel9.4.0 --dry-run"),
                        ("rebase", "compat rebase 7.0..7.2 --dry-run"),
                        ("check", "check"), ("machines", "machines")):
        print(f"  {label:<37} {m[name]:7.1f} ms   {m[name] / m['floor']:.2f}x floor")


if __name__ == "__main__":
    main()
