"""Scratch folders in the system's temporary directory, named for the process that made
them (`qscaffold-KIND-PID-XXXX`): a run killed with kill -9 cannot remove its own, so the
next run that makes one sweeps those whose process is gone (and, from before names
carried a pid, those older than a day)."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

_NAME = re.compile(r"qscaffold-[a-z]+-(?:(\d+)-)?")
_swept: list[bool] = []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
            stale = not _alive(pid) if pid is not None else \
                time.time() - entry.stat(follow_symlinks=False).st_mtime > 86400
        except OSError:
            continue
        if stale:
            shutil.rmtree(entry.path, ignore_errors=True)


def folder(kind: str) -> tempfile.TemporaryDirectory[str]:
    """A scratch folder for this process (removed when the `with` ends)."""
    sweep()
    return tempfile.TemporaryDirectory(prefix=f"qscaffold-{kind}-{os.getpid()}-")
