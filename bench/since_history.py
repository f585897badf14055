#!/usr/bin/env python3
"""A git history at upstream's scale with a real QEMU tree on its tip, for `lint --since`.

No upstream clone is at hand, so one is imitated with `git fast-import`: COMMITS commits
(upstream had about 120,000 by 10.2), release cycles of equal length whose VERSION goes
X.Y.50 -> X.(Y+1).0 as upstream's does, the machine files (hw/core/machine.c,
hw/i386/pc.c, the families' files) and the files defining three properties touched about
as often as upstream touches them (hw/core/machine.c: ~1 commit in 100), and every other
commit touching one of 4,000 other files.  The tip is the real tree (Debian's 10.2 by
default).  In the last cycle (VERSION 10.1.50), three commits add three of hw_compat_10_0's
real entries, an older array than the cycle's (as upstream's 8.2 cycle put three USO
entries into hw_compat_8_0); one of their properties was added to its file in the cycle
before (a late fix, right), the others long before.  The first commit of the last cycle
(the bump that adds hw_compat_10_1, as upstream's did) is tagged `last-cycle`: `lint
--since last-cycle` and `lint --since newest` have those three entries to judge.

Usage: bench/since_history.py [--tree DIR] [--commits N] [--out DIR]
Prints the repository's path; a finished one is reused (its `.bench-complete` marker).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("QSCAFFOLD_CACHE") or os.path.expanduser("~/.cache/qscaffold"))
MACHINE = "hw/core/machine.c"
OFTEN = {MACHINE: 100, "hw/i386/pc.c": 120, "hw/i386/pc_q35.c": 150, "hw/i386/pc_piix.c": 150,
         "hw/arm/virt.c": 90, "hw/s390x/s390-virtio-ccw.c": 200, "hw/ppc/spapr.c": 80,
         "hw/m68k/virt.c": 400, "include/hw/core/boards.h": 300, "include/hw/boards.h": 300}
LATE = 3   # entries of hw_compat_10_0 added in the last cycle


def releases_before(newest: tuple[int, int], count: int) -> list[tuple[int, int]]:
    """`count` releases up to `newest`, oldest first (three a year: X.0, X.1, X.2)."""
    out = [newest]
    while len(out) < count:
        major, minor = out[-1]
        out.append((major, minor - 1) if minor else (major - 1, 2))
    return list(reversed(out))


def files_of(tree: Path) -> dict[str, bytes]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            full = Path(dirpath, name)
            if full.is_file() and not full.is_symlink():
                out[str(full.relative_to(tree))] = full.read_bytes()
    return out


class Importer:
    def __init__(self, out: Path):
        self.proc = subprocess.Popen(["git", "-C", str(out), "fast-import", "--quiet",
                                      "--depth=50"], stdin=subprocess.PIPE)
        self.stream = self.proc.stdin
        self.time = 1_100_000_000
        self.mark = 0

    def commit(self, message: str, files: dict[str, bytes], first: bool = False) -> int:
        self.mark += 1
        self.time += 3000
        w = self.stream.write
        w(b"commit refs/heads/master\nmark :%d\n" % self.mark)
        w(b"committer Bench <bench@example.org> %d +0000\n" % self.time)
        msg = message.encode()
        w(b"data %d\n%s\n" % (len(msg), msg))
        if not first:
            w(b"from :%d\n" % (self.mark - 1))
        for path, data in files.items():
            w(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
        return self.mark

    def tag(self, name: str, mark: int) -> None:
        self.stream.write(b"reset refs/tags/%s\nfrom :%d\n\n" % (name.encode(), mark))

    def close(self) -> None:
        self.stream.close()
        if self.proc.wait() != 0:
            sys.exit("since_history: git fast-import failed")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, help="the real tree for the tip (default: Debian's 10.2)")
    ap.add_argument("--commits", type=int, default=120_000)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    tree = args.tree or Path(subprocess.run([sys.executable, str(REPO / "scripts/fetch-qemu"),
                                             "10.2"], check=True, capture_output=True,
                                            text=True).stdout.split()[-1])
    out = args.out or CACHE / "bench" / f"history-{args.commits}"
    if (out / ".bench-complete").exists():
        print(out)
        return
    subprocess.run(["rm", "-rf", str(out)], check=True)
    subprocess.run(["git", "init", "-q", "-b", "master", str(out)], check=True)
    real = files_of(tree)
    text = real[MACHINE].decode()
    array = re.search(r"GlobalProperty hw_compat_10_0\[\] = \{\n((?:    .*\n)+?)\};", text)
    late = array.group(1).splitlines(keepends=True)[:LATE]
    props = [re.search(r'"[^"]*",\s*"([^"]+)"', line).group(1) for line in late]
    definers = {}
    for prop in props:   # the file whose DEFINE_PROP names it first (hw/ only)
        needle = f'"{prop}"'.encode()
        definers[prop] = next((p for p in sorted(real) if p.startswith("hw/") and p != MACHINE
                               and p.endswith(".c") and needle in real[p]
                               and b"DEFINE_PROP" in real[p]), None)
    releases = releases_before((10, 2), 30)
    per_cycle = max(10, args.commits // len(releases))
    rng = random.Random(26)

    newest = re.search(r"GlobalProperty hw_compat_10_1\[\] = \{\n(?:.*\n)*?\};\n"
                       r"const size_t hw_compat_10_1_len = .*\n\n", text)

    def machine_at(count: int, bumped: bool = True) -> bytes:
        """hw_compat_10_0 with `count` late entries; hw_compat_10_1 there once the last
        cycle's bump added it (before that, as upstream, the array did not exist)."""
        body = array.group(1)
        kept = "".join(late[:count]) + body[len("".join(late)):]
        out = text.replace(array.group(0), array.group(0).replace(body, kept))
        return (out if bumped else out.replace(newest.group(0), "")).encode()

    touched = {p: real[p] for p in OFTEN if p in real}
    first_prop = props[0]
    definer = definers.get(first_prop)
    without = None
    if definer:   # the first property's line appears in the cycle before the last
        lines = real[definer].split(b"\n")
        index = next(i for i, line in enumerate(lines) if f'"{first_prop}"'.encode() in line)
        without = b"\n".join(lines[:index] + lines[index + 1:])
    start = dict(real)
    start[MACHINE] = machine_at(0, bumped=False)
    major, minor = releases[0]
    start["VERSION"] = f"{major}.{minor}.50\n".encode()
    if definer and without is not None:
        start[definer] = without
    imp = Importer(out)
    imp.commit("QEMU as the history starts", start, first=True)
    noise = [f"noise/d{i % 40:02d}/f{i:04d}.c" for i in range(4000)]
    state = {p: 0 for p in noise}
    made = 1
    late_count, suffix = 0, b""   # machine.c: late entries added so far, its touches
    bumped = False
    for index, (major, minor) in enumerate(releases):
        last = index == len(releases) - 1
        prev = releases[index - 1] if index else (major, minor)
        for step in range(per_cycle):
            files: dict[str, bytes] = {}
            message = f"commit {made}"
            if step == 0 and index:
                files["VERSION"] = f"{prev[0]}.{prev[1]}.50\n".encode()
                message = f"Open the {major}.{minor} cycle"
                if last:   # the bump: hw_compat_10_1 appears
                    bumped = True
                    files[MACHINE] = machine_at(late_count) + suffix
                    message = "hw: add compat machines for 10.2"
            elif step == per_cycle - 1 and not last:
                files["VERSION"] = f"{major}.{minor}.0\n".encode()
                message = f"Update version for v{major}.{minor}.0 release"
            elif last and step in (10, 20, 30):
                late_count += 1
                files[MACHINE] = machine_at(late_count, bumped) + suffix
                message = f"hw/core/machine: compat entry for {props[(10, 20, 30).index(step)]}"
            elif index == len(releases) - 2 and step == per_cycle // 2 and definer:
                files[definer] = real[definer]
                message = f"add the {first_prop} property"
            else:
                for path, every in OFTEN.items():
                    if path in touched and rng.randrange(every) == 0:
                        if path == MACHINE:
                            suffix += b"\n/* touched */\n"
                            files[path] = machine_at(late_count, bumped) + suffix
                        else:
                            touched[path] += b"\n/* touched */\n"
                            files[path] = touched[path]
                if not files:
                    name = noise[rng.randrange(len(noise))]
                    state[name] += 1
                    files[name] = (b"/* other work */\nint f%d(void)\n{\n    return %d;\n}\n"
                                   % (state[name], state[name])) * 20
            mark = imp.commit(message, files)
            if last and step == 0:
                imp.tag("last-cycle", mark)
            made += 1
    tip = {p: real[p] for p in touched}
    tip[MACHINE] = real[MACHINE]
    tip["VERSION"] = real["VERSION"]
    imp.commit("The real tree on the tip", tip)
    imp.close()
    subprocess.run(["git", "-C", str(out), "checkout", "-q", "-f", "master"], check=True)
    (out / ".git" / "info" / "exclude").write_text("/.bench-complete\n")
    (out / ".bench-complete").write_text(f"{made + 1} commits; late entries: {props}\n")
    print(out)


if __name__ == "__main__":
    main()
