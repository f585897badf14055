"""Progress on long work: one line on stderr, rewritten in place (`[17/54] pc-q35-6.1`),
when stderr is a terminal and `-q`/`--quiet` was not given; nothing at all otherwise (no
line, no carriage return: a log or a pipe gets only what the command says for good).

The line is cleared when the work ends, so that what follows (the report, an error)
starts on a clean line.  Updates are limited to ten a second: progress never costs the
work its time."""
from __future__ import annotations

import os
import shutil
import sys
import time

_state = {"quiet": False}


def set_quiet(quiet: bool) -> None:
    _state["quiet"] = _state["quiet"] or quiet


def enabled() -> bool:
    try:
        return not _state["quiet"] and sys.stderr.isatty()
    except (AttributeError, ValueError):   # stderr replaced or closed
        return False


class Progress:
    """`with Progress("proving", 54) as p: p.step(1, "pc-q35-6.1")`."""

    def __init__(self, what: str, total: int = 0, worth_it: bool = True) -> None:
        """`worth_it` False: the work is short this time; nothing is shown."""
        self.what, self.total = what, total
        self.on = worth_it and enabled()
        self.last = 0.0
        self.shown = False

    def __enter__(self) -> "Progress":
        self.say(self.what)
        return self

    def __exit__(self, *exc: object) -> None:
        self.clear()

    def step(self, index: int, text: str) -> None:
        """Item `index` (1-based) of `total` is under way, or done."""
        now = time.monotonic()
        if not self.on or (now - self.last < 0.1 and index < self.total):
            return
        self.last = now
        count = f"[{index}/{self.total}] " if self.total else ""
        self.say(f"{count}{text}")

    def say(self, text: str) -> None:
        if not self.on:
            return
        width = shutil.get_terminal_size((80, 24)).columns - 1
        text = text.splitlines()[0] if text else ""
        text = text if len(text) <= width else text[:width - 3] + "..."
        clear = "\x1b[K" if os.environ.get("TERM") != "dumb" else ""
        sys.stderr.write(f"\r{text}{clear}" if clear else f"\r{text.ljust(width)}")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.on and self.shown:
            width = shutil.get_terminal_size((80, 24)).columns - 1
            clear = "\x1b[K" if os.environ.get("TERM") != "dumb" else " " * width + "\r"
            sys.stderr.write(f"\r{clear}")
            sys.stderr.flush()
            self.shown = False
