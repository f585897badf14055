"""The `qscaffold` command line (Typer).  Commands stay thin: they parse options and
call the module that does the work; errors become one line on stderr and an exit code.

No `from __future__ import annotations` here: Typer reads the commands' annotations on
every run, and string annotations would cost it an eval each (2 ms a run)."""
import gc
import os
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

os.environ.setdefault("TYPER_USE_RICH", "0")  # plain, fast output; errors stay on one line
# A run is short and frees what it allocates (syntax nodes, spans, strings) by reference
# counting; the cyclic collector would scan those objects over and over, and once more at
# exit: about 25 ms of a 190 ms bump.  Collect rarely, and not at all at exit (see run).
gc.set_threshold(50_000, 50, 50)
import typer  # noqa: E402
from typer.core import TyperGroup  # noqa: E402

try:  # recent Typer releases vendor click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover
    from click import exceptions as click_exc  # type: ignore[no-redef]

from scaffold.errors import ScaffoldError, UsageError  # noqa: E402  (after the gc setting above)

CONTEXT = {"help_option_names": ["-h", "--help"]}
LAYOUTS = """Layouts (how a family's file registers its versions; `machines` shows them):
latest = NAME_AS_LATEST(A, B) marks the newest (10.x); plain = NAME(A, B) with
alias/is_default lines (x86, 9.2); tagged = NAME(vA_B, "pc-q35-A.B", NULL, fn) with alias
lines (x86 up to 9.1; without the NULL for a few weeks of 9.1); flag = NAME(A_B, "A.B",
true|false) (spapr, s390x up to 9.1); flag_num = NAME(A, B, true|false) (m68k up to 9.1)."""

# The commands in the order of a cycle's work: what to do, is the tree right, the bump,
# changes during the cycle, retiring at the end, the entries' and QOM's truth, the proof.
WORKFLOW = ("checklist", "check", "bump", "compat", "retire", "lint", "qom", "prove",
            "machines", "explain")


class _Workflow(TyperGroup):
    """`qscaffold --help`: the commands in workflow order, each with its whole first
    sentence (click cuts summaries at 45 characters, mid-sentence)."""

    def list_commands(self, ctx):  # type: ignore[no-untyped-def]
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: WORKFLOW.index(n) if n in WORKFLOW else len(WORKFLOW))

    def format_commands(self, ctx, formatter):  # type: ignore[no-untyped-def]
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            text = " ".join((command.short_help or command.help or "").split())
            first = re.split(r"(?<=[.)])\s", text, maxsplit=1)[0]
            rows.append((name, first))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _examples(*lines: str, before: str = "") -> str:
    """An --help epilog: `before`, then the examples as written (\\b: not re-wrapped)."""
    block = "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)
    return f"{before}\n\n{block}" if before else block


app = typer.Typer(cls=_Workflow, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, context_settings=CONTEXT,
                  help="Scaffold QEMU's versioned machine types and compat properties.")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"qscaffold {version('qscaffold')}")
        except PackageNotFoundError:  # pragma: no cover - running from a checkout
            from scaffold import __version__

            print(f"qscaffold {__version__}")
        raise typer.Exit(0)


def _quiet(value: bool) -> bool:
    if value:
        from scaffold.progress import set_quiet

        set_quiet(True)
    return value


QuietOption = typer.Option(False, "--quiet", "-q", callback=_quiet,
                           help="No progress lines on stderr (there are none when stderr is "
                           "not a terminal).")


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


def _color(value: Color) -> Color:
    from scaffold.commands.terminal import set_color

    set_color(value.value)
    return value


@app.callback()
def _root(show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                            help="Print qscaffold's version and exit."),
          quiet: bool = QuietOption,
          color: Color = typer.Option(Color.auto, "--color", callback=_color, show_default=False,
                                      help="Colour diffs and severities: auto (on a terminal, "
                                      "unless NO_COLOR, TERM=dumb or git's color.ui says no), "
                                      "always or never.")) -> None:
    """Scaffold QEMU's versioned machine types and compat properties."""


class TextJson(str, Enum):
    text = "text"
    json = "json"


TextJsonOption = typer.Option(None, "--format", metavar="text|json", show_default=False,
                              help="text (the default) or json (docs/json.md: one object "
                              "with a \"schema\" number).")


class Format(str, Enum):
    diff = "diff"
    patch = "patch"
    json = "json"


FamiliesOption = typer.Option(None, "--families", metavar="FILE", show_default=False,
                              help="A families file describing a distribution's machine "
                              "families (docs/families.md), besides the shipped ones and "
                              "the tree's .qscaffold/families.toml.")


def _open(repo: Optional[Path], families: Optional[Path]):
    """The tree, with the families file the command line names."""
    from scaffold.reading.downstream import with_families_file
    from scaffold.reading.tree import QemuTree

    return with_families_file(QemuTree.open(repo), families)


RepoOption = typer.Option(None, "--repo", metavar="PATH", help="QEMU tree (default: the one containing the "
                          "current directory).")
DryRunOption = typer.Option(False, "--dry-run", "-n", help="Print the change; write nothing.")
BuildDirOption = typer.Option(None, "--build-dir", file_okay=False, metavar="DIR", help="A configured QEMU "
                              "build directory: compile the edited files' objects with ninja "
                              "before committing; a compiler error puts every file back.")
FormatOption = typer.Option(Format.diff, "--format", show_default=False, metavar="diff|patch|json", help="With --dry-run: diff (for git apply), "
                            "patch (mbox for git am) or json (the plan).")
OutputOption = typer.Option(None, "--output", "-o", metavar="FILE", help="With --dry-run: write the output to "
                            "this file (never a file of the tree; an existing one needs --overwrite).")
OverwriteOption = typer.Option(False, "--overwrite", help="With --output: replace an existing "
                               "file.")
BranchOption = typer.Option(None, "--branch", metavar="NAME", help="Create and check out this branch first.")
AllowDirtyOption = typer.Option(False, "--allow-dirty", help="Edit files that have uncommitted "
                                "changes; the commit holds only qscaffold's lines.")
NoCommitOption = typer.Option(False, "--no-commit", help="Write the files but do not commit.")
NoSignoffOption = typer.Option(False, "--no-signoff", help="No Signed-off-by trailer.")
NoProvenanceOption = typer.Option(False, "--no-provenance", help="Do not declare the automated "
                                  "change in the commit message.")
VerboseOption = typer.Option(False, "--verbose", "-v", help="Say each step as it runs.")


def _git_failure(exc: Exception) -> str:
    """GitPython's error as one line: the git command and git's own words."""
    command = getattr(exc, "command", None)
    name = " ".join(str(c) for c in command[:2]) if isinstance(command, (list, tuple)) \
        else "git"
    words = getattr(exc, "stderr", None) or str(exc)
    words = " ".join(str(words).replace("stderr:", "").split()).strip("' ")
    return f"{name} failed: {words[:300]}"


def _run(fn, *args) -> None:
    try:
        code = fn(*args)
    except KeyboardInterrupt:   # whatever ran was undone by then (executor.execute)
        print("qscaffold: interrupted; nothing was changed", file=sys.stderr)
        raise typer.Exit(130) from None
    except ScaffoldError as exc:
        _json_error(exc.message, exc.path, exc.line, exc.family, str(exc))
        print(f"qscaffold: error: {exc}", file=sys.stderr)
        raise typer.Exit(exc.exit_code) from None
    except OSError as exc:   # a file we were asked to read or write: one line, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        _json_error(str(exc.strerror or exc), str(exc.filename) if exc.filename else None)
        print(f"qscaffold: error: {where}{exc.strerror or exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    except Exception as exc:
        if not type(exc).__module__.startswith("git."):   # GitPython's: a git command failed
            raise
        message = _git_failure(exc)
        _json_error(message)
        print(f"qscaffold: error: {message}; nothing was changed", file=sys.stderr)
        raise typer.Exit(1) from None
    raise typer.Exit(code or 0)


@app.command(epilog=_examples("qscaffold bump 11.0 --dry-run", "qscaffold bump 11.0 --build-dir ../build", "qscaffold bump 11.0 --dry-run --format patch -o 0001-compat-11.0.patch", "qscaffold bump rhel9.4.0 --dry-run      # a distribution's types"))
def bump(
    version: str = typer.Argument(..., metavar="VERSION",
                                  help="The new release's machine version, e.g. 11.0; or a "
                                       "distribution's, e.g. rhel9.2.0 (docs/families.md)."),
    repo: Optional[Path] = RepoOption,
    families: Optional[Path] = FamiliesOption,
    dry_run: bool = DryRunOption,
    no_commit: bool = NoCommitOption,
    format: Format = FormatOption,
    output: Optional[Path] = OutputOption,
    branch: Optional[str] = BranchOption,
    allow_dirty: bool = AllowDirtyOption,
    overwrite: bool = OverwriteOption,
    force: bool = typer.Option(False, "--force", hidden=True, help="Old name of --overwrite."),
    build_dir: Optional[Path] = BuildDirOption,
    no_signoff: bool = NoSignoffOption,
    no_provenance: bool = NoProvenanceOption,
    verbose: bool = VerboseOption,
) -> None:
    """Add the compat arrays and machine types for release X.Y ("hw: add compat machines")."""
    from scaffold.commands.bump_command import BumpOptions, run

    _run(run, BumpOptions(version=version, repo=repo, families=families, dry_run=dry_run,
                          commit=not no_commit,
                          format=format.value, output=output, branch=branch,
                          allow_dirty=allow_dirty, overwrite=overwrite or force,
                          signoff=not no_signoff,
                          provenance=not no_provenance, verbose=verbose, build_dir=build_dir))


@app.command(epilog=_examples("qscaffold retire --dry-run            # what is past deletion", "qscaffold retire 5.2 --family x86 --dry-run --format patch", "qscaffold retire --build-dir ../build"))
def retire(
    up_to: Optional[str] = typer.Argument(None, metavar="[UP_TO]", help="Retire every version "
                                          "at or below this one (default: those past deletion "
                                          "under the tree's own policy)."),
    family: list[str] = typer.Option([], "--family", metavar="NAME", help="Only this family (repeatable; x86 "
                                     "means i440fx and q35)."),
    repo: Optional[Path] = RepoOption,
    dry_run: bool = DryRunOption,
    format: Format = FormatOption,
    output: Optional[Path] = OutputOption,
    no_commit: bool = typer.Option(False, "--no-commit", help="Write the series' result but "
                                   "do not commit."),
    branch: Optional[str] = BranchOption,
    allow_dirty: bool = AllowDirtyOption,
    force: bool = typer.Option(False, "--force", help="Retire versions not past deletion "
                               "yet (those UP_TO names, or all of them without a policy)."),
    overwrite: bool = OverwriteOption,
    cover_letter: bool = typer.Option(False, "--cover-letter", help="With --format patch: "
                                      "start with a [PATCH 0/N] cover letter (what is "
                                      "retired, what is left for a person)."),
    cc: list[str] = typer.Option([], "--cc", metavar="ADDRESS", help="With --format patch: "
                                 "Cc this address (repeatable); `auto`: To the list and Cc "
                                 "the tree's scripts/get_maintainer.pl for the files touched."),
    build_dir: Optional[Path] = BuildDirOption,
    no_signoff: bool = NoSignoffOption,
    no_provenance: bool = NoProvenanceOption,
    verbose: bool = VerboseOption,
    quiet: bool = QuietOption,
) -> None:
    """Remove machine types past deletion and the compat arrays only they used, as a series
    of commits (one per family and version, then one per array)."""
    from scaffold.commands.retire_command import RetireOptions, run

    _run(run, RetireOptions(up_to=up_to, families=family, repo=repo, dry_run=dry_run,
                            commit=not no_commit, format=format.value, output=output,
                            branch=branch, allow_dirty=allow_dirty, force=force,
                            overwrite=overwrite, cover_letter=cover_letter, cc=cc,
                            signoff=not no_signoff,
                            provenance=not no_provenance, verbose=verbose,
                            build_dir=build_dir))


@app.command(epilog=_examples("qscaffold lint", "qscaffold lint --since newest", "qscaffold lint --write-baseline .qscaffold/lint-baseline.toml", "qscaffold lint --baseline .qscaffold/lint-baseline.toml"))
def lint(
    repo: Optional[Path] = RepoOption,
    json_out: bool = typer.Option(False, "--json", help="The same as --format json."),
    fmt: Optional[TextJson] = TextJsonOption,
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too."),
    since: Optional[str] = typer.Option(None, "--since", metavar="REV", help="Also check that "
                                        "entries changed after REV sit in the array of the "
                                        "release before their cycle (`newest`: the commit "
                                        "that added the newest compat array)."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", metavar="FILE", dir_okay=False,
                                            help="Known findings, each with its reason (TOML, "
                                            "as --write-baseline writes it): reported as "
                                            "known; only new ones fail."),
    write_baseline: Optional[Path] = typer.Option(None, "--write-baseline", metavar="FILE",
                                                  dir_okay=False, help="Write the tree's "
                                                  "errors and warnings as a baseline, reasons "
                                                  "to fill in; exit 0."),
    quiet: bool = QuietOption,
) -> None:
    """Check every compat entry against the QOM model of the tree (exit 1 on errors)."""
    json_out = json_out or fmt is TextJson.json
    from scaffold.commands.qom_command import render_lint
    from scaffold.rules.lint_tree import run_lint
    from scaffold.reading.tree import QemuTree

    def run() -> int:
        if baseline is not None and write_baseline is not None:
            raise UsageError("--baseline and --write-baseline: one or the other")
        known = None
        if baseline is not None:
            from scaffold.rules import baseline as lint_baseline

            known = lint_baseline.load(baseline)
        findings, code, model = run_lint(QemuTree.locate(repo), strict, since)
        if write_baseline is not None:
            code = _write_lint_baseline(write_baseline, findings)
            if not json_out:
                return code
        split = None
        if known is not None:
            from scaffold.rules import baseline as lint_baseline
            from scaffold.rules.registry import failing

            split = lint_baseline.split(findings, known)
            code = 1 if failing(split.new, strict) else 0
        if json_out:
            known_ids = {id(f) for f, _ in split.known} if split else set()
            from scaffold.jsondoc import located, location

            _emit_json({"findings": [dict(f.as_json(), known=id(f) in known_ids)
                                     for f in findings], "failed": bool(code),
                        "types": len(model.types),
                        "cannot_tell": [located(u) for u in model.unresolved],
                        "stale": [{"code": k.code, "location": location(str(baseline), k.line)}
                                  for k in split.stale] if split else []}, "lint")
        else:
            from scaffold.commands.terminal import severities

            print(severities(render_lint(findings, model, split, baseline)), end="")
        return code
    _run(run)


def _write_lint_baseline(path: Path, findings) -> int:
    from scaffold.rules import baseline as lint_baseline

    if path.exists():
        raise UsageError(f"--write-baseline {path}: the file exists; remove it first or "
                         "choose another name")
    try:   # docs/ci.md's first step writes into .qscaffold/, which a fresh tree lacks
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(lint_baseline.write(findings), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--write-baseline {path}: {exc.strerror or exc}") from None
    count = sum(1 for f in findings if f.severity != "info")
    print(f"qscaffold: wrote {count} known finding{'' if count == 1 else 's'} to {path}; "
          "fill in each reason, then "
          f"`qscaffold lint --baseline {path}`", file=sys.stderr)
    return 0


@app.command(epilog=_examples("qscaffold qom virtio-blk-pci", "qscaffold qom --property num-queues", "qscaffold qom --unresolved"))
def qom(
    type_name: Optional[str] = typer.Argument(None, metavar="[TYPE]", help="A QOM type: "
                                              "virtio-blk-pci or TYPE_VIRTIO_BLK."),
    prop: Optional[str] = typer.Option(None, "--property", metavar="NAME", help="Every type "
                                       "that defines, inherits or aliases this property."),
    unresolved: bool = typer.Option(False, "--unresolved", help="What the model cannot tell."),
    repo: Optional[Path] = RepoOption,
    json_out: bool = typer.Option(False, "--json", help="The same as --format json."),
    fmt: Optional[TextJson] = TextJsonOption,
    quiet: bool = QuietOption,
) -> None:
    """What the tree's C source says about a QOM type or property: parents, subtypes,
    properties with kind, default and file:line."""
    json_out = json_out or fmt is TextJson.json
    from scaffold.commands import qom_command as q
    from scaffold.reading.tree import QemuTree

    def run() -> int:
        if sum(x is not None and x is not False for x in (type_name, prop, unresolved)) != 1:
            raise UsageError("give a TYPE, --property NAME or --unresolved (one of them)")
        model = q.load(QemuTree.locate(repo))
        if unresolved:
            from scaffold.jsondoc import located

            report: dict = {"cannot_tell": [located(u) for u in model.unresolved]}
            text = "\n".join(model.unresolved) + "\n"
        elif prop is not None:
            report = q.property_report(model, prop)
            text = q.render_property(report)
        else:
            assert type_name is not None
            report = q.type_report(model, type_name)
            text = q.render_type(report)
        _emit_json(report, "qom") if json_out else print(text, end="")
        return 0
    _run(run)


@app.command(epilog=_examples("qscaffold prove --old /usr/bin/qemu-system-x86_64 --build-dir ../build", "qscaffold prove --old old/qemu-system-x86_64 --new new/qemu-system-x86_64 --machine 'pc-q35-*'"))
def prove(
    old: Path = typer.Option(..., "--old", metavar="BINARY", help="The older QEMU binary "
                             "(e.g. a distribution's packaged /usr/bin/qemu-system-x86_64)."),
    new: Optional[Path] = typer.Option(None, "--new", metavar="BINARY",
                                       help="The newer QEMU binary."),
    build_dir: Optional[Path] = typer.Option(None, "--build-dir", file_okay=False, metavar="DIR",
                                             help="Take the newer binary from this build."),
    machine: list[str] = typer.Option([], "--machine", metavar="GLOB",
                                      help="Only these machine types (repeatable)."),
    devices: Optional[Path] = typer.Option(None, "--devices", metavar="FILE", dir_okay=False,
                                           help="Devices to add, one `-device` line each "
                                           "(default: the target's matrix)."),
    backward: bool = typer.Option(False, "--backward", help="Also migrate new to old."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", metavar="FILE", dir_okay=False,
                                            help="Known differences, each with its reason "
                                            "(TOML); they do not fail."),
    jobs: int = typer.Option(0, "--jobs", "-j", metavar="N", show_default=False, help="Machine types proven at once "
                             "(default: one per core)."),
    repo: Optional[Path] = typer.Option(None, "--repo", metavar="PATH", file_okay=False,
                                        help="The new binary's source tree: prove its "
                                        "versioned types, and set each difference against "
                                        "its compat list (default with --build-dir: the tree "
                                        "the build was configured from)."),
    json_out: bool = typer.Option(False, "--json", help="The same as --format json."),
    fmt: Optional[TextJson] = TextJsonOption,
    verbose: bool = VerboseOption,
    quiet: bool = QuietOption,
) -> None:
    """Run an older and a newer QEMU on every versioned machine type both offer: compare
    every device property, then migrate old to new (exit 1 on anything not in --baseline)."""
    json_out = json_out or fmt is TextJson.json
    from scaffold.commands.prove_command import ProveOptions, run

    _run(run, ProveOptions(old=old, new=new, build_dir=build_dir, machines=machine,
                           devices=devices, backward=backward, baseline=baseline, jobs=jobs,
                           repo=repo, json=json_out, verbose=verbose))


# JSON asked for on the command line (--json, --format json) and the command; printed yet
_json: dict = {"asked": False, "printed": False, "command": None}


def _emit_json(data: dict, command: str | None = None) -> None:
    """One document, docs/json.md's shape: "schema" and "command" first."""
    import json

    from scaffold.jsondoc import document

    _json["printed"] = True
    if "schema" not in data:
        data = document(command or _json["command"] or "qscaffold", **data)
    print(json.dumps(data, indent=2))


def _json_error(message: str, path: str | None = None, line: int | None = None,
                family: str | None = None, text: str | None = None) -> None:
    """A command asked for JSON that fails before printing it still prints JSON: a CI job
    parsing the output gets the error, not nothing."""
    from scaffold.jsondoc import location

    if _json["asked"] and not _json["printed"]:
        _emit_json({"findings": [], "failed": True, "error": {
            "message": message, "location": location(path, line), "family": family,
            "text": text or message}})


@app.command(epilog=_examples("qscaffold machines", "qscaffold machines --json", before=LAYOUTS))
def machines(
    repo: Optional[Path] = RepoOption,
    json_out: bool = typer.Option(False, "--json", help="The same as --format json."),
    fmt: Optional[TextJson] = TextJsonOption,
    families: Optional[Path] = FamiliesOption,
) -> None:
    """Every versioned machine family: file, layout, newest/default type, lifecycle."""
    json_out = json_out or fmt is TextJson.json
    from scaffold.commands.reports import machines as report, render_machines

    def run() -> int:
        data = report(_open(repo, families))
        _emit_json(data, "machines") if json_out else print(render_machines(data), end="")
        return 0
    _run(run)


@app.command(epilog=_examples("qscaffold check", "qscaffold check --strict --json", "qscaffold explain C101"))
def check(
    repo: Optional[Path] = RepoOption,
    json_out: bool = typer.Option(False, "--json", help="The same as --format json."),
    fmt: Optional[TextJson] = TextJsonOption,
    families: Optional[Path] = FamiliesOption,
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too."),
    explain: Optional[str] = typer.Option(None, "--explain", metavar="CODE",
                                          help="Say what a finding's code means and why it "
                                          "matters (C101 or chain-missing; `all` lists them)."),
) -> None:
    """Verify the whole compat chain (exit 1 on errors or a pending bump)."""
    json_out = json_out or fmt is TextJson.json
    from scaffold.commands.reports import check as run_check, render_check

    def run() -> int:
        if explain is not None:
            return _explain(explain, json_out)
        findings, code = run_check(_open(repo, families), strict)
        if json_out:
            _emit_json({"findings": [f.as_json() for f in findings], "failed": bool(code)},
                       "check")
        else:
            from scaffold.commands.terminal import severities

            print(severities(render_check(findings)), end="")
        return code
    _run(run)


@app.command(epilog=_examples("qscaffold explain C101", "qscaffold explain chain-missing",
                              "qscaffold explain all"))
def explain(code: str = typer.Argument(..., metavar="CODE", help="A finding's code (C101, "
                                       "L202) or name (chain-missing); `all` lists them."),
            json_out: bool = typer.Option(False, "--json", help="The same as --format json."),
            fmt: Optional[TextJson] = TextJsonOption,
            ) -> None:
    """Say what a finding's code means and why the rule exists."""
    _run(_explain, code, json_out or fmt is TextJson.json)


def _explain(code: str, json_out: bool = False) -> int:
    from scaffold.rules import catalogue as rules

    found = list(rules.RULES) if code == "all" else [r for r in [rules.lookup(code)] if r]
    if not found:
        raise UsageError(f"no rule {code!r} (`qscaffold explain all` lists them)")
    if json_out:
        _emit_json({"rules": [{"code": r.code, "name": r.name, "severity": r.severity,
                               "summary": r.summary, "why": r.why} for r in found]}, "explain")
    elif code == "all":
        print("\n".join(f"{r.code} {r.name:<22} {r.severity:<8} {r.summary}" for r in found))
    else:
        print(found[0].explain(), end="")
    return 0


@app.command(epilog=_examples("qscaffold checklist", "qscaffold checklist 11.0 --json"))
def checklist(
    version: Optional[str] = typer.Argument(None, metavar="[VERSION]",
                                            help="The release (default: the next one)."),
    repo: Optional[Path] = RepoOption,
    json_out: bool = typer.Option(False, "--json", help="The same as --format json."),
    fmt: Optional[TextJson] = TextJsonOption,
    families: Optional[Path] = FamiliesOption,
    quiet: bool = QuietOption,
) -> None:
    """The cycle-start checklist as Markdown task items, ticked from the tree's state."""
    json_out = json_out or fmt is TextJson.json
    from scaffold.commands import checklist as cl
    from scaffold.version import Version

    def run() -> int:
        from scaffold.commands import downstream_checklist
        from scaffold.reading.downstream import parse_version, read_downstream

        tree = _open(repo, families)
        downstream = parse_version(tree, version) if version is not None else None
        if downstream is not None or (version is None and read_downstream(tree)[0]):
            mine, items = downstream_checklist.build(tree, downstream)
            _emit_json(cl.as_json(mine, items), "checklist") if json_out else \
                print(downstream_checklist.render(mine, items), end="")
            return 0
        found, items = cl.build(tree, Version.parse(version) if version else None)
        _emit_json(cl.as_json(found, items), "checklist") if json_out else \
            print(cl.render(found, items), end="")
        return 0
    _run(run)


compat_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, context_settings=CONTEXT,
                         help="Put an incompatible change where it belongs during a cycle.")
app.add_typer(compat_app, name="compat")
ReleaseOption = typer.Option(None, "--release", metavar="X.Y", help="The release whose "
                             "machine types (and all older ones) keep the old behaviour "
                             "(default: the last release, below the newest machine types).")


@compat_app.command("add", epilog=_examples(
    "qscaffold compat add virtio-net-device guest_uso4 off --release 10.1",
    "qscaffold compat add --x86 TYPE_X86_CPU x-amd-topoext off --release 10.1 -n"))
def compat_add(
    device: str = typer.Argument(..., metavar="DEVICE",
                                 help='QOM type: "virtio-blk-device" or TYPE_VIRTIO_BLK.'),
    prop: str = typer.Argument(..., metavar="PROPERTY", help="The property whose default "
                               "changes, as the device declares it (e.g. num-queues)."),
    value: str = typer.Argument(..., metavar="VALUE", help="The old default, to keep older "
                                "machine types as they were."),
    x86: bool = typer.Option(False, "--x86", help="Add to pc_compat instead of hw_compat."),
    release: Optional[str] = ReleaseOption,
    repo: Optional[Path] = RepoOption,
    dry_run: bool = DryRunOption,
    force: bool = typer.Option(False, "--force", help="Accept a type or property the tree "
                               "does not declare."),
    build_dir: Optional[Path] = BuildDirOption,
    quiet: bool = QuietOption,
) -> None:
    """Add { DEVICE, PROPERTY, VALUE } to a release's compat array (written, not committed)."""
    from scaffold.commands.compat_command import add

    _run(add, repo, device, prop, value, x86, release, force, dry_run, build_dir)


@compat_app.command("rebase", epilog=_examples(
    "qscaffold compat rebase --from 7.0 --to 7.2 --dry-run",
    "qscaffold compat rebase --from 7.2 --to 8.0 --array-release 9.2"))
def compat_rebase(
    old_base: str = typer.Option(..., "--from", metavar="X.Y", help="The upstream release the "
                                 "distribution was based on."),
    new_base: str = typer.Option(..., "--to", metavar="X.Y", help="The upstream release it is "
                                 "rebased onto."),
    array_release: Optional[str] = typer.Option(
        None, "--array-release", metavar="X.Y", help="Put the entries in the vendor's array "
        "of this release (made if missing), not the one the newest types add."),
    repo: Optional[Path] = RepoOption,
    families: Optional[Path] = FamiliesOption,
    dry_run: bool = DryRunOption,
    build_dir: Optional[Path] = BuildDirOption,
) -> None:
    """Carry upstream's compat of the releases since the old base into the distribution's
    newest types: array entries after a comment naming their source, options statements
    that stand alone; the rest listed for a person (written, not committed)."""
    from scaffold.commands.compat_command import rebase

    _run(rebase, repo, old_base, new_base, families, dry_run, build_dir, array_release)


TargetOption = typer.Option(None, "--target", metavar="TARGET", help="The binary whose "
                            "types to read: x86_64 (the default for i440fx and q35), i386, "
                            "aarch64, s390x, ppc64, m68k, loongarch64.")


@compat_app.command("show", epilog=_examples("qscaffold compat show pc-q35-7.2",
                                             "qscaffold compat show virt-9.0 --target aarch64 --json"))
def compat_show(
    machine: str = typer.Argument(..., metavar="TYPE", help="A versioned machine type: "
                                  "pc-q35-7.2, virt-10.1, pc-q35-rhel9.2.0, pc-q35-jammy."),
    target: Optional[str] = TargetOption,
    repo: Optional[Path] = RepoOption,
    json_out: bool = typer.Option(False, "--json", help="The same as --format json."),
    fmt: Optional[TextJson] = TextJsonOption,
) -> None:
    """Every compat property TYPE applies, in the order QEMU applies them, each with its
    array and the options function that adds it."""
    from scaffold.commands.effective_command import show

    _run(show, repo, machine, target, json_out or fmt is TextJson.json)


@compat_app.command("diff", epilog=_examples("qscaffold compat diff pc-q35-9.2 pc-q35-10.0",
                                             "qscaffold compat diff pc-q35-rhel9.2.0 pc-q35-7.2"))
def compat_diff(
    first: str = typer.Argument(..., metavar="A", help="A versioned machine type."),
    second: str = typer.Argument(..., metavar="B", help="Another one."),
    target: Optional[str] = TargetOption,
    repo: Optional[Path] = RepoOption,
    json_out: bool = typer.Option(False, "--json", help="The same as --format json."),
    fmt: Optional[TextJson] = TextJsonOption,
) -> None:
    """What A applies that B does not and the other way round, by type and property, with
    the values that win."""
    from scaffold.commands.effective_command import diff

    _run(diff, repo, first, second, target, json_out or fmt is TextJson.json)


@compat_app.command("machine-option", epilog=_examples(
    "qscaffold compat machine-option 'mc->smp_props.prefer_sockets = true;' --release 10.1",
    "qscaffold compat machine-option --from snippet.c --family x86 --release 10.1 -n"))
def compat_machine_option(
    pieces: Optional[list[str]] = typer.Argument(
        None, metavar="PIECE...", help="C statements or local declarations, in order, e.g. "
        "'mc->smp_props.prefer_sockets = true;'. Declarations join the function's leading "
        "ones, statements follow its chain call."),
    snippet: Optional[Path] = typer.Option(None, "--from", metavar="FILE", help="Read the "
                                           "pieces from a C snippet (- for standard input)."),
    family: list[str] = typer.Option([], "--family", metavar="NAME", help="A family to change (repeatable; "
                                     "x86 means i440fx and q35)."),
    every: bool = typer.Option(False, "--all", help="Every family found in the tree."),
    param: Optional[str] = typer.Option(None, "--as", metavar="VAR", help="The statement's MachineClass variable "
                                        "(default: mc or m, whichever it uses)."),
    release: Optional[str] = ReleaseOption,
    instance: bool = typer.Option(False, "--instance", help="s390x: into the instance options "
                                  "(machine state, CPU model) instead of the class options."),
    repo: Optional[Path] = RepoOption,
    dry_run: bool = DryRunOption,
    build_dir: Optional[Path] = BuildDirOption,
) -> None:
    """Add statements and declarations to a release's compat machine of each chosen family."""
    from scaffold.commands.compat_command import machine_option

    if family and every:
        print("qscaffold: error: --family and --all exclude each other", file=sys.stderr)
        raise typer.Exit(2)
    _run(machine_option, repo, list(pieces or []), snippet, family, every, param, release,
         instance, dry_run, build_dir)


def _not_text(args: list[str]) -> str | None:
    """The first argument that is not UTF-8 text (Python keeps such bytes as surrogates):
    C source and git messages are text, so it is refused before anything is read."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
    return None


def _command_of(argv: list[str]) -> str | None:
    """The command a command line runs ("lint", "compat add"), for its JSON error."""
    for i, arg in enumerate(argv):
        if arg in WORKFLOW:
            sub = argv[i + 1] if arg == "compat" and i + 1 < len(argv) else ""
            return f"{arg} {sub}".strip()
    return None


def main() -> None:
    argv = sys.argv[1:]
    for stream in (sys.stdout, sys.stderr):   # PYTHONIOENCODING=ascii and a path of ü:
        reconfigure = getattr(stream, "reconfigure", None)   # escaped, not a traceback
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    _json["asked"] = "--json" in argv or "--format=json" in argv or \
        any(a == "--format" and b == "json" for a, b in zip(argv, argv[1:]))
    _json["command"] = _command_of(argv)
    bad = _not_text(sys.argv[1:])
    if bad is not None:
        _json_error(f"an argument is not UTF-8 text: {bad}")
        print(f"qscaffold: error: an argument is not UTF-8 text: {bad}", file=sys.stderr)
        sys.exit(2)
    try:
        code = app(standalone_mode=False)
    except click_exc.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help())
        code = 0
    except click_exc.UsageError as exc:
        hint = f" (see 'qscaffold {exc.ctx.command_path.split(' ', 1)[1]} --help')" \
            if exc.ctx and " " in exc.ctx.command_path else ""
        _json_error(exc.format_message())
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


if __name__ == "__main__":
    run()
