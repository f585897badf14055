"""Files the user names on the command line (`--devices`, `--from`, `--baseline`): read
as UTF-8 text, or refused in one line naming the file (and the line of a bad byte)."""
from __future__ import annotations

import sys
from pathlib import Path

from scaffold.errors import UsageError


def read_text(path: Path, option: str) -> str:
    """The file's text (`-`: standard input)."""
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{option} {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UsageError(f"{option} {path}:{line}: not UTF-8 text") from None


def kept_file(path: Path, shown: str) -> bool:
    """Whether a file the tree may keep (`.qscaffold/families.toml`, `declined.toml`) is
    there to read: absent is False; a regular file (or a link to one) is True; anything
    else there (a directory, a FIFO, a link to nothing) is refused in one line, never
    ignored: the user meant something by it."""
    if not path.is_symlink() and not path.exists():
        return False
    if path.is_file():
        return True
    what = ("a link to nothing" if path.is_symlink() and not path.exists() else
            "a directory" if path.is_dir() else "not a regular file")
    raise UsageError(f"{shown}: {what}; it must be a regular file")
