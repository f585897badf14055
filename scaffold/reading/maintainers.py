"""Who a change goes to: the tree's own scripts/get_maintainer.pl on the files it
touches (run with perl, read only), as `git send-email --cc-cmd` would ask it."""
from __future__ import annotations

import os
import shutil
import subprocess

from scaffold.reading.tree import QemuTree


def addresses(tree: QemuTree, files: list[str]) -> tuple[list[str], list[str]]:
    """(lists, people) get_maintainer.pl names for `files`, as "Name <addr>" or "addr";
    ([], []) when the tree has no script or there is no perl."""
    script = tree.root / "scripts" / "get_maintainer.pl"
    if not files or not script.exists() or not shutil.which("perl"):
        return [], []
    try:
        proc = subprocess.run(["perl", str(script), "--no-git", "--no-git-fallback",
                               "--no-rolestats", "-f", *files], cwd=tree.root,
                              capture_output=True, text=True, errors="replace", timeout=120,
                              # perl orders hashes randomly per run: the script's output
                              # (names of one rank) too.  One seed, one order, every run.
                              env=dict(os.environ, PERL_HASH_SEED="0",
                                       PERL_PERTURB_KEYS="0"))
    except (OSError, subprocess.SubprocessError):
        return [], []
    lists: list[str] = []
    people: list[str] = []
    for line in proc.stdout.splitlines():
        line = line.split(" (")[0].strip()
        if "@" not in line:
            continue
        (lists if "@nongnu.org" in line and "<" not in line else people).append(line)
    return lists, people
