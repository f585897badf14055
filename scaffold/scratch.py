"""Scratch folders in the system's temporary directory, named for the process that made
them (`qscaffold-KIND-PID-XXXX`): a run killed with kill -9 cannot remove its own, so the
next run that makes one sweeps those whose process is gone, and whose git processes are
gone too (and, from before names carried a pid, those older than a day)."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

_NAME = re.compile(r"qscaffold-[a-z]+-(?:(\d+)-)?")
_swept: list[bool] = []
# The mark every git process of a committing run carries in its environment, with the
# run's pid first (applying/journal.py sets it): after a kill -9 its git may live on.
RUN_MARK = "QSCAFFOLD_RUN"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def marked(needle: str) -> list[str]:
    """The pids of the processes whose environment holds `needle` (`RUN_MARK=...`; a
    variable's end is a NUL).  Linux's /proc; elsewhere there is nothing to look at."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if needle.encode() in (proc / "environ").read_bytes() + b"\0":
                found.append(proc.name)
        except OSError:
            continue
    return found


def _orphans_of(pid: int) -> bool:
    """Whether a process of the run `pid` made still lives: a git it started (a commit
    in its pre-commit hook) outlives a qscaffold killed with kill -9, and reads its
    scratch folder (the commit's private index) after: removed, the commit would record
    an empty tree."""
    return bool(marked(f"{RUN_MARK}={pid}-"))


def sweep() -> None:
    """Remove the scratch folders dead runs left (once per process)."""
    if _swept:
        return
    _swept.append(True)
    base = Path(tempfile.gettempdir())
    try:
        entries = list(os.scandir(base))
    except OSError:
        return
    for entry in entries:
        m = _NAME.match(entry.name)
        if m is None or not entry.is_dir(follow_symlinks=False):
            continue
        pid = int(m.group(1)) if m.group(1) else None
        if pid == os.getpid():
            continue
        try:
            stale = not _alive(pid) and not _orphans_of(pid) if pid is not None else \
                time.time() - entry.stat(follow_symlinks=False).st_mtime > 86400
        except OSError:
            continue
        if stale:
            shutil.rmtree(entry.path, ignore_errors=True)


def folder(kind: str) -> tempfile.TemporaryDirectory[str]:
    """A scratch folder for this process (removed when the `with` ends)."""
    sweep()
    return tempfile.TemporaryDirectory(prefix=f"qscaffold-{kind}-{os.getpid()}-")
