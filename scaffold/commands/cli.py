"""The `qscaffold` command line (Typer): declarations only.  Each command turns its options
into its module's options record and runs it (commands/<name>.py: `run(options) -> int`)
under the one error handler (handling.py); program.py is the program around it.

No `from __future__ import annotations` here: Typer reads the commands' annotations on
every run, and string annotations would cost it an eval each (2 ms a run)."""
import os
import re
from enum import Enum
from pathlib import Path
from typing import Any, Optional

os.environ.setdefault("TYPER_USE_RICH", "0")  # as program.py: before Typer is imported
import typer
from typer.core import TyperGroup

from scaffold.commands.handling import run_command

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

    def list_commands(self, ctx: Any) -> list[str]:
        names: list[str] = super().list_commands(ctx)
        return sorted(names, key=lambda n: WORKFLOW.index(n) if n in WORKFLOW else len(WORKFLOW))

    def format_commands(self, ctx: Any, formatter: Any) -> None:
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
JsonOption = typer.Option(False, "--json", help="The same as --format json.")


class Format(str, Enum):
    diff = "diff"
    patch = "patch"
    json = "json"


FamiliesOption = typer.Option(None, "--families", metavar="FILE", show_default=False,
                              help="A families file describing a distribution's machine "
                              "families (docs/families.md), besides the shipped ones and "
                              "the tree's .qscaffold/families.toml.")


RepoOption = typer.Option(None, "--repo", metavar="PATH", help="QEMU tree (default: the one containing the "
                          "current directory).")
DryRunOption = typer.Option(False, "--dry-run", "-n", help="Print the change; write nothing.")
BuildDirOption = typer.Option(None, "--build-dir", file_okay=False, metavar="DIR", help="A configured QEMU "
                              "build directory: compile the edited files' objects with ninja "
                              "before committing; a compiler error puts every file back.")
FormatOption = typer.Option(Format.diff, "--format", show_default=False, metavar="diff|patch|json",
                            help="With --dry-run: diff (for git apply), "
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
    from scaffold.commands import bump as command

    run_command("bump", command.run, command.BumpOptions(
        version=version, repo=repo, families=families, dry_run=dry_run, commit=not no_commit,
        format=format.value, output=output, branch=branch, allow_dirty=allow_dirty,
        overwrite=overwrite or force, signoff=not no_signoff, provenance=not no_provenance,
        verbose=verbose, build_dir=build_dir))


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
    from scaffold.commands import retire as command

    run_command("retire", command.run, command.RetireOptions(
        up_to=up_to, families=family, repo=repo, dry_run=dry_run, commit=not no_commit,
        format=format.value, output=output, branch=branch, allow_dirty=allow_dirty,
        force=force, overwrite=overwrite, cover_letter=cover_letter, cc=cc,
        signoff=not no_signoff, provenance=not no_provenance, verbose=verbose,
        build_dir=build_dir))


@app.command(epilog=_examples("qscaffold lint", "qscaffold lint --since newest", "qscaffold lint --write-baseline .qscaffold/lint-baseline.toml", "qscaffold lint --baseline .qscaffold/lint-baseline.toml"))
def lint(
    repo: Optional[Path] = RepoOption,
    json_out: bool = JsonOption,
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
    from scaffold.commands import lint as command

    run_command("lint", command.run, command.LintOptions(
        repo=repo, strict=strict, since=since, baseline=baseline,
        write_baseline=write_baseline, json=json_out or fmt is TextJson.json))


@app.command(epilog=_examples("qscaffold qom virtio-blk-pci", "qscaffold qom --property num-queues", "qscaffold qom --unresolved"))
def qom(
    type_name: Optional[str] = typer.Argument(None, metavar="[TYPE]", help="A QOM type: "
                                              "virtio-blk-pci or TYPE_VIRTIO_BLK."),
    prop: Optional[str] = typer.Option(None, "--property", metavar="NAME", help="Every type "
                                       "that defines, inherits or aliases this property."),
    unresolved: bool = typer.Option(False, "--unresolved", help="What the model cannot tell."),
    repo: Optional[Path] = RepoOption,
    json_out: bool = JsonOption,
    fmt: Optional[TextJson] = TextJsonOption,
    quiet: bool = QuietOption,
) -> None:
    """What the tree's C source says about a QOM type or property: parents, subtypes,
    properties with kind, default and file:line."""
    from scaffold.commands import qom as command

    run_command("qom", command.run, command.QomOptions(
        type_name=type_name, prop=prop, unresolved=unresolved, repo=repo,
        json=json_out or fmt is TextJson.json))


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
    json_out: bool = JsonOption,
    fmt: Optional[TextJson] = TextJsonOption,
    verbose: bool = VerboseOption,
    quiet: bool = QuietOption,
) -> None:
    """Run an older and a newer QEMU on every versioned machine type both offer: compare
    every device property, then migrate old to new (exit 1 on anything not in --baseline)."""
    from scaffold.commands import prove as command

    run_command("prove", command.run, command.ProveOptions(
        old=old, new=new, build_dir=build_dir, machines=machine, devices=devices,
        backward=backward, baseline=baseline, jobs=jobs, repo=repo,
        json=json_out or fmt is TextJson.json, verbose=verbose))


@app.command(epilog=_examples("qscaffold machines", "qscaffold machines --json", before=LAYOUTS))
def machines(
    repo: Optional[Path] = RepoOption,
    json_out: bool = JsonOption,
    fmt: Optional[TextJson] = TextJsonOption,
    families: Optional[Path] = FamiliesOption,
) -> None:
    """Every versioned machine family: file, layout, newest/default type, lifecycle."""
    from scaffold.commands import machines as command

    run_command("machines", command.run, command.MachinesOptions(
        repo=repo, families=families, json=json_out or fmt is TextJson.json))


@app.command(epilog=_examples("qscaffold check", "qscaffold check --strict --json", "qscaffold explain C101"))
def check(
    repo: Optional[Path] = RepoOption,
    json_out: bool = JsonOption,
    fmt: Optional[TextJson] = TextJsonOption,
    families: Optional[Path] = FamiliesOption,
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too."),
    explain: Optional[str] = typer.Option(None, "--explain", metavar="CODE",
                                          help="Say what a finding's code means and why it "
                                          "matters (C101 or chain-missing; `all` lists them)."),
) -> None:
    """Verify the whole compat chain (exit 1 on errors or a pending bump)."""
    from scaffold.commands import check as command

    run_command("check", command.run, command.CheckOptions(
        repo=repo, families=families, strict=strict, explain=explain,
        json=json_out or fmt is TextJson.json))


@app.command(epilog=_examples("qscaffold explain C101", "qscaffold explain chain-missing",
                              "qscaffold explain all"))
def explain(code: str = typer.Argument(..., metavar="CODE", help="A finding's code (C101, "
                                       "L202) or name (chain-missing); `all` lists them."),
            json_out: bool = JsonOption,
            fmt: Optional[TextJson] = TextJsonOption,
            ) -> None:
    """Say what a finding's code means and why the rule exists."""
    from scaffold.commands import explain as command

    run_command("explain", command.run, command.ExplainOptions(
        code=code, json=json_out or fmt is TextJson.json))


@app.command(epilog=_examples("qscaffold checklist", "qscaffold checklist 11.0 --json"))
def checklist(
    version: Optional[str] = typer.Argument(None, metavar="[VERSION]",
                                            help="The release (default: the next one)."),
    repo: Optional[Path] = RepoOption,
    json_out: bool = JsonOption,
    fmt: Optional[TextJson] = TextJsonOption,
    families: Optional[Path] = FamiliesOption,
    quiet: bool = QuietOption,
) -> None:
    """The cycle-start checklist as Markdown task items, ticked from the tree's state."""
    from scaffold.commands import checklist as command

    run_command("checklist", command.run, command.ChecklistOptions(
        version=version, repo=repo, families=families, json=json_out or fmt is TextJson.json))


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
    from scaffold.commands import compat_add as command

    run_command("compat add", command.run, command.CompatAddOptions(
        device=device, prop=prop, value=value, x86=x86, release=release, repo=repo,
        force=force, dry_run=dry_run, build_dir=build_dir))


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
    from scaffold.commands import compat_rebase as command

    run_command("compat rebase", command.run, command.RebaseOptions(
        old_base=old_base, new_base=new_base, array_release=array_release, repo=repo,
        families=families, dry_run=dry_run, build_dir=build_dir))


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
    json_out: bool = JsonOption,
    fmt: Optional[TextJson] = TextJsonOption,
) -> None:
    """Every compat property TYPE applies, in the order QEMU applies them, each with its
    array and the options function that adds it."""
    from scaffold.commands import compat_show as command

    run_command("compat show", command.run, command.CompatShowOptions(
        machine=machine, target=target, repo=repo, json=json_out or fmt is TextJson.json))


@compat_app.command("diff", epilog=_examples("qscaffold compat diff pc-q35-9.2 pc-q35-10.0",
                                             "qscaffold compat diff pc-q35-rhel9.2.0 pc-q35-7.2"))
def compat_diff(
    first: str = typer.Argument(..., metavar="A", help="A versioned machine type."),
    second: str = typer.Argument(..., metavar="B", help="Another one."),
    target: Optional[str] = TargetOption,
    repo: Optional[Path] = RepoOption,
    json_out: bool = JsonOption,
    fmt: Optional[TextJson] = TextJsonOption,
) -> None:
    """What A applies that B does not and the other way round, by type and property, with
    the values that win."""
    from scaffold.commands import compat_diff as command

    run_command("compat diff", command.run, command.CompatDiffOptions(
        first=first, second=second, target=target, repo=repo,
        json=json_out or fmt is TextJson.json))


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
    from scaffold.commands import compat_machine_option as command

    run_command("compat machine-option", command.run, command.MachineOptionOptions(
        pieces=list(pieces or []), snippet=snippet, families=family, every=every, param=param,
        release=release, instance=instance, repo=repo, dry_run=dry_run, build_dir=build_dir))
