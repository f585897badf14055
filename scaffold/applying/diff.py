"""Render planned changes as a git-style unified diff.

The diff comes from git itself (`git diff --no-index` over two scratch copies), so a
dry run prints the very hunks that `git format-patch` shows after the real commit.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from scaffold.errors import ScaffoldError

_RENAMED = "{a => b}/"


def abbrev_length(repo: Path | None) -> int:
    """The object-name length git uses in this repository (7 outside one)."""
    if repo is not None:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return len(out.stdout.strip())
    return 7


def unified_diff(contents: dict[str, tuple[bytes, bytes]], *, color: bool = False,
                 stat: bool = False, abbrev: int = 7) -> bytes:
    """A diff with a/ and b/ prefixes that `git apply` takes at the tree's root."""
    if not contents:
        return b""
    with tempfile.TemporaryDirectory(prefix="qscaffold-diff-") as tmp:
        for side, index in (("a", 0), ("b", 1)):
            for rel, pair in contents.items():
                dest = Path(tmp, side, rel)
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(pair[index])
        cmd = ["git", "-c", "core.quotePath=false", "diff", "--no-index", "--no-prefix",
               "--no-ext-diff", "--no-textconv", f"--abbrev={abbrev}",
               "--color=always" if color else "--no-color"]
        if stat:
            # git names the files "{a => b}/path" here: widen the stat by that prefix so
            # that, once it is removed, the layout is format-patch's (72 columns).
            cmd += [f"--stat={72 + len(_RENAMED)}", "--summary", "--patch"]
        # the user's git configuration applies, as it does to `git format-patch`
        env = dict(os.environ)
        env.pop("GIT_DIR", None)
        out = subprocess.run(cmd + ["a", "b"], cwd=tmp, capture_output=True, env=env)
    if out.returncode not in (0, 1):
        raise ScaffoldError(f"git diff failed: {out.stderr.decode(errors='replace').strip()}")
    if stat:
        head, sep, patch = out.stdout.partition(b"\ndiff --git ")
        return head.replace(_RENAMED.encode(), b"") + sep + patch
    return out.stdout
