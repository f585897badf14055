"""Planned steps applied for real: shared by `bump` (one step) and `retire` (a series).
Everything that can be checked is checked before the first write; then each step is a
group of actions (write, compile, commit) that the executor runs in order and undoes,
newest first, if anything fails.  Also the steps as the patches `git format-patch` would
write, and the 3-way merge that keeps a user's uncommitted lines out of the commits."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING

from scaffold.applying import diff, scm, writer
from scaffold.applying.build import compile_step
from scaffold.applying.executor import Action, Commit, CreateBranch, Group, WriteFiles, execute
from scaffold.applying.journal import Journal
from scaffold.errors import ScaffoldError, UsageError
from scaffold.reading.tree import QemuTree

if TYPE_CHECKING:
    from scaffold.applying.scm import Repo   # GitPython's, named by scm.py alone


@dataclass(eq=False, repr=False)
class Step:
    """One commit's worth of change: its message (without trailers) and file contents."""

    subject: str
    summary: str
    provenance: str
    contents: dict[str, tuple[bytes, bytes]]   # path -> (before this step, after it)

    def message(self, signoff: tuple[str, str] | None, provenance: bool) -> str:
        return scm.commit_message(self.subject, self.summary,
                                  self.provenance if provenance else None, signoff)


@dataclass(eq=False, repr=False)
class ApplyOptions:
    """How to apply planned steps: the options every editing command shares."""

    dry_run: bool = False
    commit: bool = True
    format: str = "diff"
    output: Path | None = None
    branch: str | None = None
    allow_dirty: bool = False
    resume_branch: bool = False   # --branch: the interrupted run created it; go on there
    force: bool = False
    overwrite: bool = False   # --overwrite: an existing --output file is replaced
    signoff: bool = True
    provenance: bool = True
    verbose: bool = False
    build_dir: Path | None = None
    color: bool | None = None   # None: when stdout is a terminal


def cumulative(steps: list[Step]) -> dict[str, tuple[bytes, bytes]]:
    """path -> (before the first step, after the last) over a whole series."""
    out: dict[str, tuple[bytes, bytes]] = {}
    for step in steps:
        for path, (old, new) in step.contents.items():
            out[path] = (out[path][0] if path in out else old, new)
    return out


@dataclass(eq=False, repr=False)
class Cover:
    """A series' cover letter: its subject and what it says before the shortlog."""

    subject: str
    body: str


def mbox_series(tree: QemuTree, steps: list[Step], opts: ApplyOptions,
                cover: Cover | None = None, to: list[str] | None = None,
                cc: list[str] | None = None) -> bytes:
    """The steps as `git format-patch [--cover-letter] [--to] [--cc]` would write them
    after the real run (numbers padded as git pads them: [PATCH 03/28])."""
    repo = scm.open_repo(tree.root)
    author = scm.identity(repo)
    signoff = author if opts.signoff else None
    version = scm.git_version()
    abbrev = scm.abbrev_length(tree.root)   # once for the series, not once a step
    width = len(str(len(steps)))
    numbered = len(steps) > 1 or cover is not None
    out = []
    if cover is not None:
        shortlog = f"{author[0]} ({len(steps)}):\n" + "".join(f"  {s.subject}\n" for s in steps)
        stat = diff.unified_diff(cumulative(steps), stat=True, abbrev=abbrev)
        stat = stat.split(b"\ndiff --git ")[0].rstrip(b"\n") + b"\n\n"
        message = f"{cover.subject}\n\n{cover.body.rstrip()}\n\n{shortlog}\n"
        out.append(scm.mbox(message, author, stat, version, number=f"{0:0{width}}/{len(steps)}",
                            to=to, cc=cc, cover=True))
    for i, step in enumerate(steps, 1):
        body = diff.unified_diff(step.contents, stat=True, abbrev=abbrev)
        number = f"{i:0{width}}/{len(steps)}" if numbered else None
        out.append(scm.mbox(step.message(signoff, opts.provenance), author, body, version,
                            number=number, to=to, cc=cc))
    return b"".join(out)


def _committed(tree: QemuTree, repo: Repo, steps: list[Step], dirty: list[str],
               replan: Callable[[QemuTree], list[Step]]) -> list[dict[str, bytes]]:
    """What each commit holds when files the steps edit carry the user's own uncommitted
    lines: the same steps planned on HEAD's content; refused where they overlap."""
    head = {}
    for path in dirty:
        data = scm.head_bytes(repo, path)
        if data is None:
            raise ScaffoldError("file is not in HEAD; commit it first", path=path)
        head[path] = data
    clean = tree.with_contents({p: (tree.file(p).data, data) for p, data in head.items()})
    try:
        head_steps = replan(clean)
    except ScaffoldError as exc:
        raise ScaffoldError(f"without your uncommitted changes the tree cannot be changed "
                            f"({exc}); commit or stash them", path=dirty[0]) from None
    if [sorted(s.contents) for s in head_steps] != [sorted(s.contents) for s in steps]:
        raise ScaffoldError("your uncommitted changes alter what would be changed; commit or "
                            "stash them", path=dirty[0])
    work_final, head_final = cumulative(steps), cumulative(head_steps)
    for path in dirty:
        merged = scm.merge3(head[path], head_final[path][1], work_final[path][0])
        if merged != work_final[path][1]:
            raise ScaffoldError("your uncommitted changes overlap the lines this change edits; "
                                "commit or stash them first", path=path)
    return [{p: new for p, (_, new) in s.contents.items()} for s in head_steps]


def apply_steps(opts: ApplyOptions, tree: QemuTree, steps: list[Step],
                replan: Callable[[QemuTree], list[Step]]) -> list[str]:
    """Write (and compile, and commit) every step; returns the commits' hashes."""
    final = cumulative(steps)
    paths = sorted(final)
    writer.refuse_unwritable(tree.root, paths)
    repo = None
    committed = [{p: new for p, (_, new) in s.contents.items()} for s in steps]
    actions: list[Action] = []
    author = None
    if opts.commit or opts.branch:
        repo = scm.open_repo(tree.root)
        if repo is None:
            need = "--branch needs a git repository" if opts.branch else \
                "use --no-commit to only write the files (or --dry-run)"
            raise ScaffoldError(f"{tree.root} is not a git repository; {need}")
        busy = scm.operation_in_progress(repo)
        if busy:
            raise ScaffoldError(f"{busy}: finish or abort it first; nothing was changed")
        if (Path(repo.git_dir) / "index.lock").exists():   # refused before any change
            raise ScaffoldError("another git process is running in this repository, or one "
                                "stopped and left its lock; nothing was changed",
                                path=".git/index.lock")
        if opts.commit:
            author = scm.identity(repo)
            if scm.detached(repo) and not opts.branch:
                print("qscaffold: warning: HEAD is detached: the commits belong to no "
                      "branch (`git switch -c NAME` keeps them)", file=sys.stderr)
        dirty = scm.dirty(repo, paths)
        if dirty and not opts.allow_dirty:
            raise ScaffoldError("file has uncommitted changes; commit or stash them, or "
                                "pass --allow-dirty", path=dirty[0])
        if dirty and opts.commit:
            committed = _committed(tree, repo, steps, dirty, replan)
        branch = None
        if opts.branch and opts.resume_branch and scm.current_branch(repo) == opts.branch:
            pass   # the interrupted run made it and HEAD is on it: go on there
        elif opts.branch:
            if scm.branch_exists(repo, opts.branch):
                raise UsageError(f"branch {opts.branch} already exists")
            actions.append(CreateBranch(repo, opts.branch))
            branch = (opts.branch, scm.current_branch(repo) or scm.head_sha(repo))
    if opts.build_dir:
        compile_step(opts.build_dir, tree.root, paths)   # a build dir that is not one: refuse now
    if not opts.commit:   # one write of the final result (and one compile)
        steps = [Step(steps[-1].subject, "", "", final)]
    commits = []
    writes = []
    for i, step in enumerate(steps):
        writes.append(WriteFiles(tree.root, step.contents, index=i))
        group: list[Action] = [writes[-1]]
        if opts.build_dir:
            group.append(compile_step(opts.build_dir, tree.root, list(step.contents)))
        if opts.commit:
            commits.append(Commit(repo, committed[i], step.message(
                author if opts.signoff else None, opts.provenance)))
            group.append(commits[-1])
        label = f"[{i + 1}/{len(steps)}] {step.subject}" if len(steps) > 1 else step.subject
        actions.append(Group(label, group))
    log = None
    if opts.commit and repo is not None:   # committing opened the repository
        log = Journal(repo, [(s.subject, s.contents) for s in steps],
                      branch if opts.branch else None)
        for action in writes + commits:
            action.journal = log
    execute(actions, quiet=not opts.verbose, journal=log)
    return [c.sha for c in commits]
