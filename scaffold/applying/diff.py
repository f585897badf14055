"""Render planned changes as a git-style unified diff.

The diff comes from git itself (`git diff --no-index` over two scratch copies), so a
dry run prints the very hunks that `git format-patch` shows after the real commit.
"""
from __future__ import annotations

import os
import tempfile

from scaffold import scratch
from scaffold.applying import scm

_RENAMED = "{a => b}/"


def unified_diff(contents: dict[str, tuple[bytes, bytes]], *, color: bool = False,
                 stat: bool = False, abbrev: int = 7) -> bytes:
    """A diff with a/ and b/ prefixes that `git apply` takes at the tree's root."""
    return Pending(contents, color=color, stat=stat, abbrev=abbrev).result()


class Pending:
    """`unified_diff`, started: git makes it while the caller goes on (a dry run checks
    its result meanwhile); `result()` waits for it, and removes the scratch copies."""

    def __init__(self, contents: dict[str, tuple[bytes, bytes]], *, color: bool = False,
                 stat: bool = False, abbrev: int = 7) -> None:
        self._stat = stat
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._git: scm.FolderDiff | None = None
        if not contents:
            return
        self._scratch = scratch.folder("diff")
        tmp = self._scratch.name
        try:
            for folder in {os.path.dirname(rel) for rel in contents}:
                os.makedirs(os.path.join(tmp, "a", folder), exist_ok=True)
                os.makedirs(os.path.join(tmp, "b", folder), exist_ok=True)
            for rel, (old, new) in contents.items():
                for side, data in (("a", old), ("b", new)):
                    with open(os.path.join(tmp, side, rel), "wb") as fh:
                        fh.write(data)
            options = [f"--abbrev={abbrev}", "--color=always" if color else "--no-color"]
            if stat:
                # git names the files "{a => b}/path" here: widen the stat by that prefix so
                # that, once it is removed, the layout is format-patch's (72 columns).
                options += [f"--stat={72 + len(_RENAMED)}", "--summary", "--patch"]
            self._git = scm.FolderDiff(tmp, "a", "b", options)
        except BaseException:
            self._scratch.cleanup()
            raise

    def result(self) -> bytes:
        if self._scratch is None or self._git is None:
            return b""
        try:
            out = self._git.output()
        finally:
            self._scratch.cleanup()
        if self._stat:
            head, sep, patch = out.partition(b"\ndiff --git ")
            return head.replace(_RENAMED.encode(), b"") + sep + patch
        return out
