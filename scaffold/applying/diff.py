"""Render planned changes as a git-style unified diff.

The diff comes from git itself (`git diff --no-index` over two scratch copies), so a
dry run prints the very hunks that `git format-patch` shows after the real commit.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from scaffold.errors import ScaffoldError

_RENAMED = "{a => b}/"


def abbrev_length(repo: Path | None) -> int:
    """The object-name length git uses in this repository (7 outside one)."""
    if repo is not None:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, errors="replace")
        if out.returncode == 0 and out.stdout.strip():
            return len(out.stdout.strip())
    return 7


def unified_diff(contents: dict[str, tuple[bytes, bytes]], *, color: bool = False,
                 stat: bool = False, abbrev: int = 7) -> bytes:
    """A diff with a/ and b/ prefixes that `git apply` takes at the tree's root."""
    return start_diff(contents, color=color, stat=stat, abbrev=abbrev)()


def start_diff(contents: dict[str, tuple[bytes, bytes]], *, color: bool = False,
               stat: bool = False, abbrev: int = 7) -> Callable[[], bytes]:
    """Start git on the diff; the returned function waits for it and gives the diff.
    Meanwhile the caller can go on working: git runs on another core."""
    if not contents:
        return lambda: b""
    tmp = tempfile.mkdtemp(prefix="qscaffold-diff-")
    try:
        for folder in {os.path.dirname(rel) for rel in contents}:
            os.makedirs(os.path.join(tmp, "a", folder), exist_ok=True)
            os.makedirs(os.path.join(tmp, "b", folder), exist_ok=True)
        for rel, (old, new) in contents.items():
            for side, data in (("a", old), ("b", new)):
                with open(os.path.join(tmp, side, rel), "wb") as fh:
                    fh.write(data)
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
        proc = subprocess.Popen(cmd + ["a", "b"], cwd=tmp, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    def wait() -> bytes:
        try:
            stdout, stderr = proc.communicate()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if proc.returncode not in (0, 1):
            raise ScaffoldError(f"git diff failed: {stderr.decode(errors='replace').strip()}")
        if stat:
            head, sep, patch = stdout.partition(b"\ndiff --git ")
            return head.replace(_RENAMED.encode(), b"") + sep + patch
        return stdout

    return wait
