"""What goes to a terminal, by convention: colour (`--color auto|always|never`; auto is
colour on a terminal unless NO_COLOR is set, TERM is dumb or git's `color.ui` says no,
as git itself decides) and long diffs through git's pager, as `git diff` shows them."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO

from scaffold.applying import scm

_state = {"color": "auto"}
_SEVERITY = re.compile(r"\b(error|warning|pending)(\[[A-Z]\d+\])")
_PAINT = {"error": "\x1b[1;31m", "warning": "\x1b[33m", "pending": "\x1b[35m"}
_RESET = "\x1b[m"


def set_color(mode: str) -> None:
    _state["color"] = mode


def use_color(stream: IO[str] | IO[bytes] | None = None, repo: Path | None = None) -> bool:
    """Whether to colour what goes to `stream` (stdout by default)."""
    mode = _state["color"]
    if mode in ("always", "never"):
        return mode == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    stream = stream or sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return False
    return scm.config_value("color.ui", repo).lower() not in ("false", "never", "no", "off", "0")


def severities(text: str, repo: Path | None = None) -> str:
    """Findings' severities coloured (`error[C101]` red, warning yellow, pending magenta)
    when stdout takes colour."""
    if not use_color(sys.stdout, repo):
        return text
    return _SEVERITY.sub(lambda m: f"{_PAINT[m.group(1)]}{m.group(1)}{_RESET}{m.group(2)}", text)


def page(data: bytes, repo: Path | None = None) -> None:
    """Write to stdout; on a terminal, a text longer than the screen goes through git's
    pager (GIT_PAGER, core.pager, PAGER, else less -FRX), as `git diff` does."""
    rows = shutil.get_terminal_size((80, 24)).lines
    if not sys.stdout.isatty() or data.count(b"\n") < rows - 1:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    pager = scm.pager(repo)
    if pager == "cat":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    try:
        subprocess.run(pager, shell=True, input=data, env=env, cwd=repo)
    except (OSError, subprocess.SubprocessError):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
