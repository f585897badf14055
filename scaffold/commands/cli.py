"""The `qscaffold` command line (Typer).  Commands stay thin: they parse options and
call the module that does the work; errors become one line on stderr and an exit code."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

os.environ.setdefault("TYPER_USE_RICH", "0")  # plain, fast output; errors stay on one line
import typer  # noqa: E402

try:  # recent Typer releases vendor click
    from typer._click import exceptions as click_exc  # noqa: E402
except ImportError:  # pragma: no cover
    from click import exceptions as click_exc  # noqa: E402

from scaffold.errors import ScaffoldError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="Scaffold QEMU's versioned machine types and compat properties.")


@app.callback()
def _root() -> None:
    """Scaffold QEMU's versioned machine types and compat properties."""

RepoOption = typer.Option(None, "--repo", help="QEMU tree (default: the one containing the "
                          "current directory).", file_okay=False)


def _run(fn, *args) -> None:
    try:
        code = fn(*args)
    except ScaffoldError as exc:
        print(f"qscaffold: error: {exc}", file=sys.stderr)
        raise typer.Exit(exc.exit_code) from None
    raise typer.Exit(code or 0)


@app.command()
def bump(
    version: str = typer.Argument(..., help="The new release's machine version, e.g. 11.0."),
    repo: Optional[Path] = RepoOption,
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Print the change; write nothing."),
    no_commit: bool = typer.Option(False, "--no-commit", help="Write the files but do not commit."),
    format: str = typer.Option("diff", "--format", help="With --dry-run: diff, patch (mbox for "
                               "git am) or json (the plan)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the dry run's "
                                          "output to this file."),
    branch: Optional[str] = typer.Option(None, "--branch", help="Create and check out this "
                                         "branch first."),
    allow_dirty: bool = typer.Option(False, "--allow-dirty", help="Edit files that have "
                                     "uncommitted changes."),
    no_signoff: bool = typer.Option(False, "--no-signoff", help="No Signed-off-by trailer."),
    no_provenance: bool = typer.Option(False, "--no-provenance", help="Do not declare the "
                                       "automated change in the commit message."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Say each step as it runs."),
) -> None:
    """Add the compat arrays and machine types for release X.Y ("hw: add compat machines")."""
    from scaffold.commands.bump_command import BumpOptions, run

    _run(run, BumpOptions(version, repo, dry_run, not no_commit, format, output, branch,
                          allow_dirty, not no_signoff, not no_provenance, verbose=verbose))


def _emit_json(data) -> None:
    import json

    print(json.dumps(data, indent=2))


@app.command()
def machines(
    repo: Optional[Path] = RepoOption,
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Every versioned machine family: file, layout, newest and oldest version, lifecycle."""
    from scaffold.commands.reports import machines as report, render_machines
    from scaffold.reading.tree import QemuTree

    def run() -> int:
        data = report(QemuTree.open(repo))
        _emit_json(data) if json_out else print(render_machines(data), end="")
        return 0
    _run(run)


@app.command()
def check(
    repo: Optional[Path] = RepoOption,
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too."),
) -> None:
    """Verify the whole compat chain (exit 1 on errors or a pending bump)."""
    from scaffold.commands.reports import check as run_check, render_check
    from scaffold.reading.tree import QemuTree

    def run() -> int:
        findings, code = run_check(QemuTree.open(repo), strict)
        if json_out:
            _emit_json({"findings": [f.as_json() for f in findings], "failed": bool(code)})
        else:
            print(render_check(findings), end="")
        return code
    _run(run)


@app.command()
def checklist(
    version: Optional[str] = typer.Argument(None, help="The release (default: the next one)."),
    repo: Optional[Path] = RepoOption,
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The cycle-start checklist as Markdown task items, ticked from the tree's state."""
    from scaffold.commands import checklist as cl
    from scaffold.reading.tree import QemuTree
    from scaffold.version import Version

    def run() -> int:
        target = Version.parse(version) if version is not None else None
        found, items = cl.build(QemuTree.open(repo), target)
        _emit_json(cl.as_json(found, items)) if json_out else print(cl.render(found, items), end="")
        return 0
    _run(run)


compat_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="Put an incompatible change where it belongs during a cycle.")
app.add_typer(compat_app, name="compat")


@compat_app.command("add")
def compat_add(
    device: str = typer.Argument(..., help='QOM type: "virtio-blk-device" or TYPE_VIRTIO_BLK.'),
    prop: str = typer.Argument(..., metavar="PROPERTY"),
    value: str = typer.Argument(..., help="The old default, to keep older machine types as they were."),
    x86: bool = typer.Option(False, "--x86", help="Add to pc_compat instead of hw_compat."),
    repo: Optional[Path] = RepoOption,
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Print the change; write nothing."),
    no_commit: bool = typer.Option(True, "--no-commit", help="Always so: the entry belongs in "
                                   "the commit of the change that needs it."),
    force: bool = typer.Option(False, "--force", help="Accept a type the tree does not declare."),
) -> None:
    """Add { DEVICE, PROPERTY, VALUE } to the last release's compat array."""
    from scaffold.planning.compat_edit import plan_compat_add
    from scaffold.applying.output import show_or_write
    from scaffold.reading.tree import QemuTree

    def run() -> int:
        tree = QemuTree.open(repo)
        return show_or_write(tree, plan_compat_add(tree, device, prop, value, x86, force), dry_run)
    _run(run)


@compat_app.command("machine-option")
def compat_machine_option(
    statement: str = typer.Argument(..., help="One C statement, e.g. 'mc->smp_props.prefer_sockets = true;'."),
    family: list[str] = typer.Option([], "--family", help="A family to change (repeatable)."),
    every: bool = typer.Option(False, "--all", help="Every family found in the tree."),
    param: Optional[str] = typer.Option(None, "--as", help="The statement's MachineClass variable "
                                        "(default: mc or m, whichever it uses)."),
    repo: Optional[Path] = RepoOption,
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Print the change; write nothing."),
) -> None:
    """Add a statement to the last release's compat machine of each chosen family."""
    from scaffold.planning.compat_edit import plan_machine_option
    from scaffold.applying.output import show_or_write
    from scaffold.reading.tree import QemuTree

    def run() -> int:
        tree = QemuTree.open(repo)
        return show_or_write(tree, plan_machine_option(tree, statement, family, every, param), dry_run)
    _run(run)


def main() -> None:
    try:
        code = app(standalone_mode=False)
    except click_exc.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help())
        code = 0
    except click_exc.UsageError as exc:
        hint = f" (see 'qscaffold {exc.ctx.command_path.split(' ', 1)[1]} --help')" \
            if exc.ctx and " " in exc.ctx.command_path else ""
        print(f"qscaffold: error: {exc.format_message()}{hint}", file=sys.stderr)
        code = 2
    except (KeyboardInterrupt, getattr(click_exc, "Abort", KeyboardInterrupt)):
        print("qscaffold: aborted", file=sys.stderr)
        code = 130
    sys.exit(code or 0)


if __name__ == "__main__":
    main()
