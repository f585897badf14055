"""`qscaffold bump X.Y`: plan, then show (dry run) or write and commit."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from scaffold.applying import diff, scm
from scaffold.planning.bump import plan_bump
from scaffold.errors import ScaffoldError, UsageError
from scaffold.applying.executor import Commit, CreateBranch, WriteFiles, execute
from scaffold.applying.output import abbrev as output_abbrev, emit, show_diff, show_json
from scaffold.reading.tree import QemuTree
from scaffold.version import Version

FORMATS = ("diff", "patch", "json")


@dataclass
class BumpOptions:
    version: str
    repo: Path | None = None
    dry_run: bool = False
    commit: bool = True
    format: str = "diff"
    output: Path | None = None
    branch: str | None = None
    allow_dirty: bool = False
    signoff: bool = True
    provenance: bool = True
    color: bool | None = None   # None: when stdout is a terminal
    verbose: bool = False


def subject(target: Version) -> str:
    return f"hw: add compat machines for {target}"


def message_for(plan, signoff: tuple[str, str] | None, provenance: bool) -> str:
    families = "/".join(sorted(plan.families))
    summary = (f"Add {plan.target} machine types for {families}." if families
               else f"Add the {plan.target.prev()} compat arrays.")
    note = f"Generated with `qscaffold bump {plan.target}`." if provenance else None
    return scm.commit_message(subject(plan.target), summary, note, signoff)


def run(opts: BumpOptions) -> int:
    if opts.format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    if opts.format != "diff" and not opts.dry_run:
        raise UsageError(f"--format {opts.format} goes with --dry-run")
    target = Version.parse(opts.version)
    tree = QemuTree.open(opts.repo)
    plan = plan_bump(tree, target)
    code = _run(opts, tree, plan, target)
    for note in plan.notes:  # after success: an error stays the only line
        print(f"qscaffold: note: {note}", file=sys.stderr)
    return code


def _run(opts: BumpOptions, tree, plan, target: Version) -> int:
    if not plan.edits:
        print(f"qscaffold: nothing to do: the tree already has the {target} machine types "
              "and compat arrays", file=sys.stderr)
        if opts.format == "json":
            show_json(plan, opts.output)
        return 0
    if plan.done:
        print(f"qscaffold: completing a partial bump; already present: {', '.join(plan.done)}",
              file=sys.stderr)
    contents = plan.contents(tree)
    if opts.dry_run:
        return _dry_run(opts, tree, plan, contents)
    return _apply(opts, tree, plan, contents)


def _dry_run(opts, tree, plan, contents) -> int:
    if opts.format == "json":
        show_json(plan, opts.output)
        return 0
    if opts.format == "diff":
        show_diff(tree, contents, opts.output, opts.color)
        return 0
    repo = scm.open_repo(tree.root)
    author = scm.identity(repo)
    signoff = author if opts.signoff else None
    message = message_for(plan, signoff, opts.provenance)
    body = diff.unified_diff(contents, stat=True, abbrev=output_abbrev(tree))
    version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout
    emit(scm.mbox(message, author, body, version.strip().removeprefix("git version ")), opts.output)
    return 0


def _apply(opts, tree, plan, contents) -> int:
    """Check everything that can be checked, then run the actions."""
    from scaffold.applying import writer

    paths = sorted(contents)
    writer.check_writable(tree.root, paths)
    actions: list = []
    repo = None
    if opts.commit or opts.branch:
        repo = scm.open_repo(tree.root)
        if repo is None:
            raise ScaffoldError(f"{tree.root} is not a git repository; use --no-commit to only "
                                "write the files (or --dry-run)")
        author = scm.identity(repo) if opts.commit else None
        if not opts.allow_dirty:
            dirty = scm.dirty(repo, paths)
            if dirty:
                raise ScaffoldError("file has uncommitted changes; commit or stash them, or "
                                    "pass --allow-dirty", path=dirty[0])
        if opts.branch:
            if scm.branch_exists(repo, opts.branch):
                raise UsageError(f"branch {opts.branch} already exists")
            actions.append(CreateBranch(repo, opts.branch))
    actions.append(WriteFiles(tree.root, contents))
    commit = None
    if opts.commit:
        commit = Commit(repo, paths, message_for(plan, author if opts.signoff else None,
                                                 opts.provenance))
        actions.append(commit)
    execute(actions, quiet=not opts.verbose)
    families = ", ".join(plan.families) or "none"
    what = f"committed {commit.sha[:12]}" if commit else "nothing was committed (--no-commit)"
    print(f"qscaffold: bumped to {plan.target} (families: {families}); {len(paths)} files "
          f"changed; {what}", file=sys.stderr)
    return 0
