#!/usr/bin/env python3
"""Whole commands as ratios of the import floor, and how the work grows.

The machine is noisy, so every command is run alternately with the others, many times,
and medians are compared within one run:
  floor   python -c 'import typer, jinja2, tree_sitter, tree_sitter_c'
  bump    qscaffold bump NEXT --dry-run        (goal: within 1.5x the floor)
  check   qscaffold check                      (goal: within 1.3x the floor)
  retire  qscaffold retire --dry-run           (goal: within 3x bump)
Then the in-process plan of a bump on fixture families with 20, 40, 80 and 160 versions, and on
the real tree, to show how the cost grows with the number of versions.

Usage: bench/ratios.py [RELEASE] [--runs N]     (RELEASE defaults to 10.2)
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bump_bench import bench_args, median_ms, next_release  # noqa: E402  (bench/ is the script's folder)


def qscaffold() -> list[str]:
    exe = shutil.which("qscaffold")
    return [exe] if exe else [sys.executable, "-m", "scaffold"]


# As an installed wheel runs: with byte-compiled modules (this machine sets
# PYTHONDONTWRITEBYTECODE, which would make every run compile the sources again).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def alternate(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():   # warm the page cache, the .pyc files and qscaffold's caches
        subprocess.run(cmd, capture_output=True, env=ENV)
    for _ in range(runs):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, env=ENV)
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


def fixture_family(root: Path, count: int) -> None:
    """A tree with one arm virt family of `count` versions and its arrays.  The newest is
    60.2, so that even 160 versions stay valid C names (virt_machine_7_0_options...)."""
    from scaffold.version import Version

    versions, v = [], Version(60, 2)
    for _ in range(count):
        versions.append(v)
        v = v.prev()
    (root / "hw/arm").mkdir(parents=True)
    (root / "hw/core").mkdir(parents=True)
    (root / "include/hw").mkdir(parents=True)
    blocks = []
    for i, v in enumerate(versions):
        if i == 0:
            blocks.append(f"static void virt_machine_{v.underscored}_options(MachineClass *mc)\n{{\n}}\n"
                          f"DEFINE_VIRT_MACHINE_AS_LATEST({v.major}, {v.minor})\n")
        else:
            newer = versions[i - 1]
            blocks.append(f"static void virt_machine_{v.underscored}_options(MachineClass *mc)\n{{\n"
                          f"    virt_machine_{newer.underscored}_options(mc);\n"
                          f"    compat_props_add(mc->compat_props, hw_compat_{v.underscored}, "
                          f"hw_compat_{v.underscored}_len);\n}}\nDEFINE_VIRT_MACHINE({v.major}, {v.minor})\n")
    (root / "hw/arm/virt.c").write_text(
        "#include \"qemu/osdep.h\"\n\n#define DEFINE_VIRT_MACHINE_AS_LATEST(major, minor) \\\n"
        "    DEFINE_VIRT_MACHINE_IMPL(true, major, minor)\n\n" + "\n".join(blocks))
    (root / "hw/core/machine.c").write_text("#include \"qemu/osdep.h\"\n\n" + "".join(
        f"GlobalProperty hw_compat_{v.underscored}[] = {{}};\n"
        f"const size_t hw_compat_{v.underscored}_len = G_N_ELEMENTS(hw_compat_{v.underscored});\n\n"
        for v in versions[1:]))
    (root / "include/hw/boards.h").write_text("".join(
        f"extern GlobalProperty hw_compat_{v.underscored}[];\nextern const size_t hw_compat_{v.underscored}_len;\n\n"
        for v in versions[1:]))


def plan_ms(root: Path, runs: int) -> float:
    from scaffold.planning.bump import plan_bump
    from scaffold.reading.tree import QemuTree

    target = next_release(root)
    return median_ms(lambda: plan_bump(QemuTree.open(root), target), runs)


def main() -> None:
    args, tree = bench_args()
    target = str(next_release(tree))
    q = qscaffold()
    m = alternate({
        "floor": [sys.executable, "-c", "import typer, jinja2, tree_sitter, tree_sitter_c"],
        "bump": q + ["bump", target, "--dry-run", "--repo", str(tree)],
        "check": q + ["check", "--repo", str(tree)],
        "retire": q + ["retire", "--dry-run", "--repo", str(tree)],
    }, args.runs)
    print(f"tree: {tree.name}, medians of {args.runs} alternating runs")
    print(f"  import floor                 {m['floor']:7.1f} ms")
    print(f"  bump {target} --dry-run        {m['bump']:7.1f} ms   {m['bump'] / m['floor']:.2f}x floor")
    print(f"  check                        {m['check']:7.1f} ms   {m['check'] / m['floor']:.2f}x floor")
    print(f"  retire --dry-run             {m['retire']:7.1f} ms   {m['retire'] / m['bump']:.2f}x bump")
    print("in-process bump plan, by number of versions (one family):")
    with tempfile.TemporaryDirectory() as tmp:
        for count in (20, 40, 80, 160):
            root = Path(tmp, str(count))
            fixture_family(root, count)
            print(f"  {count:3d} versions               {plan_ms(root, args.runs):7.1f} ms")
    print(f"  real tree ({tree.name})  {plan_ms(tree, args.runs):7.1f} ms")


if __name__ == "__main__":
    main()
