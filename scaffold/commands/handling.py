"""How every command runs: one error handler (as pre-commit's `error_handler()`), and the
JSON contract of `--format json` / `--json`.

A command's options record says whether it prints JSON (`json`, `format`), and the run's
`RunInfo` learns it from the record; a command line Click refuses (a missing argument)
tells it by the values Click read by then, so that its error is JSON too.  An
error becomes one line on stderr (and one error document on stdout when JSON was asked
and nothing was printed yet) and an exit code: never a traceback.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from scaffold.errors import ScaffoldError

Options = TypeVar("Options")

# exit codes: 1 a finding or a refused change, 2 a usage error, 130 interrupted, 70 a bug
INTERRUPTED = 130


@dataclass(eq=False, repr=False)
class RunInfo:
    """What the error handler knows of the run: told by the options, not by argv."""

    json: bool = False
    command: str | None = None     # "lint", "compat add"
    printed: bool = False          # a JSON document went out already


def current() -> RunInfo:
    """The run's RunInfo (Click's root context carries it; a fresh one outside a run)."""
    try:  # recent Typer releases vendor click
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover
        from click import get_current_context  # type: ignore[no-redef]

    ctx = get_current_context(silent=True)
    info = ctx.find_root().obj if ctx is not None else None
    return info if isinstance(info, RunInfo) else RunInfo()


def asks_json(values: dict[str, Any] | object) -> bool:
    """Whether a command's options ask for JSON: its record's `json` (or `format`), or,
    for a command line Click refused before the record was made, the values Click had
    read by then (`--json`, `--format json`; its `ctx.params`)."""
    if not isinstance(values, dict):
        values = getattr(values, "__dict__", {})
    for key, value in values.items():
        if key in ("json", "json_out") and value is True:
            return True
        if key in ("format", "fmt") and getattr(value, "value", value) == "json":
            return True
    return False


def emit_json(data: dict[str, Any], command: str | None = None) -> None:
    """One document, docs/json.md's shape: "schema" and "command" first."""
    import json   # only when JSON is printed (1 ms to import)

    from scaffold.jsondoc import document

    info = current()
    info.printed = True
    if "schema" not in data:
        data = document(command or info.command or "qscaffold", **data)
    print(json.dumps(data, indent=2))


def json_error(info: RunInfo, message: str, path: str | None = None, line: int | None = None,
               family: str | None = None, text: str | None = None) -> None:
    """A command asked for JSON that fails before printing it still prints JSON: a CI job
    parsing the output gets the error, not nothing."""
    import json

    from scaffold.jsondoc import document, location

    if info.json and not info.printed:
        info.printed = True
        print(json.dumps(document(info.command or "qscaffold", findings=[], failed=True,
                                  error={"message": message, "location": location(path, line),
                                         "family": family, "text": text or message}),
                         indent=2))


def fail(info: RunInfo, message: str, code: int, *, path: str | None = None,
         line: int | None = None, family: str | None = None, text: str | None = None) -> int:
    """Say an error (stderr, and JSON when asked): the exit code to end with."""
    json_error(info, message, path, line, family, text)
    print(f"qscaffold: error: {text or message}", file=sys.stderr)
    return code


class Exit(Exception):
    """The run ends with this code, everything said."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _git_failure(exc: Exception) -> str:
    """GitPython's error as one line: the git command and git's own words."""
    command = getattr(exc, "command", None)
    name = " ".join(str(c) for c in command[:2]) if isinstance(command, (list, tuple)) \
        else "git"
    words = getattr(exc, "stderr", None) or str(exc)
    words = " ".join(str(words).replace("stderr:", "").split()).strip("' ")
    return f"{name} failed: {words[:300]}"


@contextmanager
def error_handler(info: RunInfo) -> Iterator[None]:
    """Our errors, a file's, git's and Ctrl-C, as one line and an exit code (`Exit`);
    anything else is a bug, left to the program's last resort (program.py)."""
    try:
        yield
    except KeyboardInterrupt:   # whatever ran was undone by then (executor.execute)
        print("qscaffold: interrupted; nothing was changed", file=sys.stderr)
        raise Exit(INTERRUPTED) from None
    except ScaffoldError as exc:
        raise Exit(fail(info, exc.message, exc.exit_code, path=exc.path, line=exc.line,
                        family=exc.family, text=str(exc))) from None
    except OSError as exc:   # a file we were asked to read or write: one line, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        json_error(info, str(exc.strerror or exc), str(exc.filename) if exc.filename else None)
        print(f"qscaffold: error: {where}{exc.strerror or exc}", file=sys.stderr)
        raise Exit(1) from None
    except Exception as exc:
        if not type(exc).__module__.startswith("git."):   # GitPython's: a git command failed
            raise
        message = _git_failure(exc)
        json_error(info, message)
        print(f"qscaffold: error: {message}; nothing was changed", file=sys.stderr)
        raise Exit(1) from None


def run_command(command: str, run: Callable[[Options], int], options: Options) -> None:
    """A command's `run(options)` under the error handler, which its options record tells
    whether JSON was asked; its exit code ends the run."""
    info = current()
    info.command = command
    info.json = asks_json(options)
    with error_handler(info):
        code = run(options)
    raise Exit(code or 0)
