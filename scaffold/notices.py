"""Warnings that any layer may have to give while it works (a file skipped, say): printed
to stderr as `qscaffold: warning: ...`, each once per run, before the command's output."""
from __future__ import annotations

import sys

_said: set[str] = set()


def warn(message: str) -> None:
    if message not in _said:
        _said.add(message)
        print(f"qscaffold: warning: {message}", file=sys.stderr)
