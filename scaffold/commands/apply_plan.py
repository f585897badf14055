"""What every editing command does around its plan: check the options, repair what an
interrupted run left, and show the plan (diff, JSON, patches) or write it."""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from scaffold.applying import diff, journal, scm
from scaffold.applying.steps import ApplyOptions, Step, apply_steps, cumulative, mbox_series
from scaffold.errors import UsageError
from scaffold.planning.plan import Contents, Plan
from scaffold.reading.tree import QemuTree


def validate_options(opts: ApplyOptions, tree: QemuTree) -> None:
    """Option combinations and the output path, before any work is done."""
    if (opts.format != "diff" or opts.output) and not opts.dry_run:
        what = "--output" if opts.output else f"--format {opts.format}"
        raise UsageError(f"{what} goes with --dry-run (the real run commits; "
                         "use --dry-run to print or save the patch)")
    if opts.dry_run and (opts.build_dir or opts.branch):
        raise UsageError(f"{'--build-dir' if opts.build_dir else '--branch'} does not go with "
                         "--dry-run (a dry run writes and builds nothing)")
    if opts.branch:
        scm.validate_branch_name(opts.branch)
    if opts.output:
        validate_output_path(opts.output, tree, opts.overwrite)


def validate_output_path(output: Path, tree: QemuTree, overwrite: bool) -> None:
    """Never overwrite a file of the tree, nor any existing file without --overwrite."""
    target = output.resolve()
    if not target.parent.is_dir():
        raise UsageError(f"--output {output}: no such directory {output.parent}")
    if target.is_dir():
        raise UsageError(f"--output {output} is a directory")
    root = tree.root.resolve()
    if target.is_relative_to(root) and target.exists():
        rel = str(target.relative_to(root))
        if scm.is_tracked(root, rel) or not (root / ".git").exists():
            raise UsageError(f"--output {output} is a file of the QEMU tree; choose another path")
    if target.exists() and not overwrite:
        raise UsageError(f"--output {output} exists; remove it or pass --overwrite")


def recover(opts: ApplyOptions, tree: QemuTree) -> QemuTree:
    """Before planning: repair what a run killed part-way left (journal.py); a dry run
    only says that a real run will."""
    git_dir = journal.git_dir_of(tree.root)
    if not git_dir.is_dir():
        return tree
    if not opts.dry_run:   # a run that writes holds the lock to its end
        journal.hold_lock(git_dir)
        if opts.commit or opts.branch:   # said before anything is planned or judged
            repo = scm.open_repo(tree.root)
            busy = scm.operation_in_progress(repo) if repo is not None else None
            if busy:
                from scaffold.errors import ScaffoldError

                raise ScaffoldError(f"{busy}: finish or abort it first; nothing was changed")
    found = journal.pending(tree.root)
    if found is None:
        return tree
    if opts.dry_run or not opts.commit:
        live = journal.holder(git_dir) if opts.dry_run else None
        note(f"warning: another qscaffold run (pid {live}) is changing this repository"
             if live else f"warning: .git/{found.name} records an interrupted run; the "
             "next committing run repairs it first")
        return tree
    repo = scm.open_repo(tree.root)
    done = journal.repair(repo) if repo is not None else None
    if done:
        note(done[0])
        opts.resume_branch = done[1] is not None and done[1] == opts.branch
    return QemuTree.open(tree.root)


def hold_for_writing(tree: QemuTree, dry_run: bool) -> None:
    """A command that writes files without committing (compat add, machine-option,
    rebase) takes the run lock before it reads the tree, as bump and retire do, and
    refuses while an interrupted run's journal waits for its own re-run: writing into a
    half-made bump would mix two runs' bytes."""
    git_dir = journal.git_dir_of(tree.root)
    if not git_dir.is_dir():
        return
    if dry_run:
        live = journal.holder(git_dir)
        if live:
            note(f"warning: another qscaffold run (pid {live}) is changing this repository")
        return
    journal.hold_lock(git_dir)
    found = journal.pending(tree.root)
    if found is not None:
        from scaffold.errors import ScaffoldError

        raise ScaffoldError("an interrupted qscaffold run is recorded here; re-run that "
                            "command first (it finishes or undoes its work), then this one",
                            path=f".git/{found.name}")


def show_dry_run(opts: ApplyOptions, tree: QemuTree, steps: list[Step],
                 as_json: Callable[[], bytes],
                 check: Callable[[], None] | None = None) -> None:
    """Show what a real run would do: the diff, the JSON plan or the patches.  `check`,
    the plan's last verification, runs first: while git makes the diff (nothing is shown
    unless it passes)."""
    if opts.format == "diff":
        show_diff(tree, cumulative(steps), opts.output, opts.color, check)
        return
    if check is not None:
        check()
    if opts.format == "json":
        emit(as_json(), opts.output)
    else:
        emit(mbox_series(tree, steps, opts), opts.output)


def note(message: str) -> None:
    print(f"qscaffold: {message}", file=sys.stderr)


def emit(data: bytes, output: Path | None) -> None:
    if output:
        output.write_bytes(data)
        print(f"qscaffold: wrote {output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def show_diff(tree: QemuTree, contents: Contents, output: Path | None = None,
              color: bool | None = None, check: Callable[[], None] | None = None) -> None:
    """Print (or save) the diff: coloured by convention (terminal.py), a long one through
    git's pager on a terminal.  `check` runs while git makes it."""
    from scaffold.commands import terminal

    color = (terminal.use_color(sys.stdout, tree.root) if color is None else color) and not output
    pending = diff.Pending(contents, color=color, abbrev=scm.abbrev_length(tree.root))
    try:
        if check is not None:
            check()
    finally:   # git's scratch folder is gone before the run ends, checked or not
        data = pending.result()
    if output:
        emit(data, output)
    else:
        terminal.page(data, tree.root)


def show_or_write(tree: QemuTree, plan: Plan, dry_run: bool, verbose: bool = False,
                  build_dir: Path | None = None) -> int:
    """For commands that do not commit: print the diff, or write the files atomically
    (and compile them in `build_dir`; a compiler error puts them back)."""
    if not plan.edits:
        print("qscaffold: nothing to do", file=sys.stderr)
    elif dry_run:
        show_diff(tree, plan.contents(tree))
    else:
        step = Step(plan.command, "", "", plan.contents(tree))
        apply_steps(ApplyOptions(commit=False, verbose=verbose, build_dir=build_dir), tree,
                    [step], replan=lambda clean: [step])   # replan: only when committing
        for edit in plan.edits:
            print(f"qscaffold: {edit.describe()}", file=sys.stderr)
        print("qscaffold: files written, nothing committed (commit them with the change "
              "that needs them)", file=sys.stderr)
    for note in plan.notes:
        print(f"qscaffold: {note}", file=sys.stderr)
    return 0
