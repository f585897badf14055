"""The `qscaffold` program around the command line (cli.py): arguments checked for being
text, Click's own errors (a bad option, a missing argument) said as ours are, a bug said
in one line, and a hard exit once everything is flushed."""
import gc

# A run is short and frees what it allocates (syntax nodes, spans, strings) by reference
# counting; the cyclic collector would scan those objects over and over (Typer's import
# too), and once more at exit: about 25 ms of a 190 ms bump.  Collect rarely, from the
# program's first line, and not at all at exit (see run).
gc.set_threshold(50_000, 50, 50)

import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402


def _interrupted_early(signum: int, frame: object) -> None:
    """Ctrl-C while Python loads the program: nothing has started, so nothing to undo;
    said in one line, not as a traceback of the import it fell in."""
    os.write(2, b"qscaffold: interrupted; nothing was changed\n")
    os._exit(130)


# Only as the program (the `qscaffold` script, `python -m scaffold`): a process that
# imports this module for its own ends (a test session) keeps its own Ctrl-C.
_MAIN = str(getattr(sys.modules.get("__main__"), "__file__", "") or "")
if os.path.basename(_MAIN) == "qscaffold" or _MAIN.endswith(os.path.join("scaffold", "__main__.py")):
    signal.signal(signal.SIGINT, _interrupted_early)

os.environ.setdefault("TYPER_USE_RICH", "0")   # plain, fast output; errors on one line
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from scaffold.commands.handling import Exit, RunInfo, asks_json, fail, json_error  # noqa: E402

try:  # recent Typer releases vendor click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover
    from click import exceptions as click_exc  # type: ignore[no-redef]


def _not_text(args: list[str]) -> str | None:
    """The first argument that is not UTF-8 text (Python keeps such bytes as surrogates):
    C source and git messages are text, so it is refused before anything is read."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
    return None


def _command_of(ctx: Any) -> str | None:
    """"compat add" of the context a usage error came from (None: the program's own)."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name)
        ctx = ctx.parent
    return " ".join(reversed(names)) or None


def main() -> None:
    from scaffold.commands.cli import app

    for stream in (sys.stdout, sys.stderr):   # PYTHONIOENCODING=ascii and a path of ü:
        reconfigure = getattr(stream, "reconfigure", None)   # escaped, not a traceback
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    info = RunInfo()
    bad = _not_text(sys.argv[1:])
    if bad is not None:
        sys.exit(fail(info, f"an argument is not UTF-8 text: {bad}", 2))
    signal.signal(signal.SIGINT, signal.default_int_handler)   # the commands undo, said as ours
    try:
        code = app(standalone_mode=False, obj=info)
    except Exit as done:
        code = done.code
    except click_exc.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help())
        code = 0
    except click_exc.UsageError as exc:
        if exc.ctx is not None and info.command is None:   # for its JSON error
            info.command = _command_of(exc.ctx)
            info.json = asks_json(exc.ctx.params)   # the JSON options Click read
        hint = f" (see 'qscaffold {exc.ctx.command_path.split(' ', 1)[1]} --help')" \
            if exc.ctx and " " in exc.ctx.command_path else ""
        json_error(info, exc.format_message())
        print(f"qscaffold: error: {exc.format_message()}{hint}", file=sys.stderr)
        code = 2
    except (KeyboardInterrupt, getattr(click_exc, "Abort", KeyboardInterrupt)):
        print("qscaffold: aborted", file=sys.stderr)
        code = 130
    except Exception as exc:   # a bug of ours: one line, where it happened; the whole story
        if os.environ.get("QSCAFFOLD_DEBUG"):   # on request
            raise
        import traceback   # only here: a bug's one line
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        print(f"qscaffold: internal error: {type(exc).__name__}: {exc} "
              f"({Path(frame.filename).name}:{frame.lineno}); QSCAFFOLD_DEBUG=1 shows the "
              "traceback", file=sys.stderr)
        code = 70   # EX_SOFTWARE
    sys.exit(code or 0)


def run() -> None:
    """The `qscaffold` program: `main`, then a hard exit.  Everything is written and
    flushed by then; freeing the run's objects one by one would only cost time (3 ms of
    a bump), so the process ends as mypy's does (`mypy.util.hard_exit`)."""
    try:
        main()
    except SystemExit as done:
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    else:
        code = 0
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:   # a closed pipe (qscaffold ... | head): let Python report it
        raise SystemExit(code) from None
    if "coverage" in sys.modules:   # measured (tests): a normal exit saves the data
        raise SystemExit(code)
    os._exit(code)
