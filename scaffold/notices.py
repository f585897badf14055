"""Warnings that any layer may have to give while it works (a file skipped, say): printed
to stderr as `qscaffold: warning: ...`, each once per run, before the command's output."""
from __future__ import annotations

import sys

_said: set[str] = set()


def warn(message: str) -> None:
    if message not in _said:
        _said.add(message)
        print(f"qscaffold: warning: {message}", file=sys.stderr)


def skipped(paths: list[str]) -> None:
    """Files named *.c or *.h that are no regular files (a FIFO would hang a read, an
    editor's dangling `.#virt.c` link cannot be read): said once, never read."""
    if paths:
        shown = ", ".join(sorted(paths)[:3]) + (" ..." if len(paths) > 3 else "")
        warn(f"skipped {len(paths)} file(s) that are not regular files (a FIFO, a dangling "
             f"link...): {shown}")
