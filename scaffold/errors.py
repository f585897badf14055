"""Errors that end a command with a one-line message and a known exit status."""
from __future__ import annotations


class ScaffoldError(Exception):
    """The tree is not what we expect; nothing was changed (exit status 1)."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 family: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.family = family

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        family = f"{self.family}: " if self.family else ""
        return f"{where}{family}{self.message}"


class UsageError(ScaffoldError):
    """The command line itself is wrong (exit status 2)."""

    exit_code = 2
