"""Run a plan: a short list of actions, each able to describe itself (for the user and
for dry runs) and to run.  Safety checks all happen before the first action runs, and a
failure puts back what earlier actions did (modelled on tbump's executor)."""
from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

from scaffold.progress import Progress
from scaffold.applying import scm, writer
from scaffold.errors import ScaffoldError

if TYPE_CHECKING:
    from scaffold.applying.journal import Journal


class Action(Protocol):
    """One step of a run (tbump's Action): said, run, and undone if a later one fails."""

    def describe(self) -> str: ...

    def run(self) -> None: ...

    def undo(self) -> None: ...

_FAIL_UNDO = "QSCAFFOLD_TEST_FAIL_UNDO"


@dataclass(eq=False, repr=False)
class WriteFiles:
    """Write new file contents atomically; undo puts the old ones back."""

    root: Path
    contents: dict[str, tuple[bytes, bytes]]
    journal: Any = None   # keeps the bytes it replaces, for a run killed part-way
    index: int = 0        # which step of the journal

    def describe(self) -> str:
        return f"write {len(self.contents)} file(s): {', '.join(self.contents)}"

    def run(self) -> None:
        if self.journal is not None:
            self.journal.before_writing(self.index, self.root, list(self.contents))
        writer.write_all(self.root, self.contents)

    def undo(self) -> None:
        for rel, (old, _) in self.contents.items():
            if (self.root / rel).read_bytes() != old:
                writer.atomic_write(self.root / rel, old)


@dataclass(eq=False, repr=False)
class CreateBranch:
    """Create and check out a branch; undo goes back and deletes it."""

    repo: Any
    name: str
    previous: str | None = None

    def describe(self) -> str:
        return f"create and check out branch {self.name}"

    def run(self) -> None:
        self.previous = self.repo.active_branch.name if not self.repo.head.is_detached else \
            scm.head_sha(self.repo)
        scm.create_branch(self.repo, self.name)

    def undo(self) -> None:
        self.repo.git.checkout(self.previous)
        self.repo.git.branch("-D", self.name)


@dataclass(eq=False, repr=False)
class Commit:
    """Commit these bytes of these files (what the tool wrote, without the user's own
    uncommitted lines); undone by moving the branch back."""

    repo: Any
    files: dict[str, bytes]
    message: str
    journal: Any = None   # told the tree being committed, then the commit made
    sha: str = field(default="", init=False)
    parent: str = field(default="", init=False)

    def describe(self) -> str:
        return f"commit {len(self.files)} file(s): {self.message.splitlines()[0]}"

    def run(self) -> None:
        self.parent = scm.head_sha(self.repo)
        log = self.journal
        self.sha = scm.commit(self.repo, self.files, self.message,
                              on_tree=log.committing if log is not None else None)
        if log is not None:
            log.committed(self.sha)

    def undo(self) -> None:
        # Interrupted after git made the commit but before `sha` was set, HEAD is still
        # a child of `parent` that this action made.
        if not self.parent:
            return
        head = scm.head_sha(self.repo)
        ours = head == self.sha or scm.parent_sha(self.repo, head) == self.parent
        if head != self.parent and ours:
            scm.reset_to(self.repo, self.parent)


@dataclass(eq=False, repr=False)
class Group:
    """Several actions shown as one step ("[3/39] hw/arm/virt: Remove ..."), as tbump's
    ActionGroup; run in order, undone newest first."""

    label: str
    actions: list[Action]
    done: list[Action] = field(default_factory=list, init=False)

    def describe(self) -> str:
        return self.label + "".join(f"\n    {a.describe()}" for a in self.actions)

    def run(self) -> None:
        for action in self.actions:
            self.done.append(action)
            action.run()

    def undo(self) -> None:
        for action in reversed(self.done):
            action.undo()


def execute(actions: list[Action], quiet: bool = False, journal: Journal | None = None) -> None:
    """Run every action; if one fails (or Ctrl-C), undo those that ran, newest first.

    The undo runs with SIGINT blocked, for qscaffold and the git processes it starts
    (they inherit the mask): a second Ctrl-C cannot stop it half-way.  `journal` (see
    journal.py) records the run while it is in progress, for a run killed by SIGKILL."""
    done: list[Action] = []
    # A terminal's Ctrl-C also reaches git's processes: the git command running then may
    # fail before Python sees the signal.  Remembered, it is reported as what it was.
    interrupted: list[int] = []

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        interrupted.append(signum)
        signal.default_int_handler(signum, frame)

    previous = signal.signal(signal.SIGINT, on_sigint)
    bar = Progress("applying", 0, quiet and len(actions) > 1)   # labels count: [5/28]
    try:
        for i, action in enumerate(actions, 1):
            if not quiet:
                print(f"qscaffold: {action.describe()}", file=sys.stderr)
            bar.step(i, action.describe())
            done.append(action)   # a failing action may have done part of its work
            action.run()
        bar.clear()
    except BaseException as exc:
        bar.clear()
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            try:
                if os.environ.get(_FAIL_UNDO):   # tests: the disk is full for the undo too
                    raise OSError(28, "No space left on device (test hook)")
                for action in reversed(done):
                    action.undo()
            except Exception as failed:   # a full disk fails the undo too: say the state
                raise undo_failed(exc, failed, journal) from failed
            if journal is not None:
                journal.close()
        finally:
            signal.signal(signal.SIGINT, previous)
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        if interrupted and not isinstance(exc, KeyboardInterrupt):
            raise KeyboardInterrupt from exc
        raise
    signal.signal(signal.SIGINT, previous)
    if journal is not None:
        journal.close()


def undo_failed(cause: BaseException, failure: Exception, journal: Journal | None
                ) -> ScaffoldError:
    """What to say when the undo of a failed run fails too (a full disk fails `git reset`
    as it failed the index update): the state the tree is in and what the next run does.
    A committing run's journal stays (it is closed only after a whole undo): the next run
    of the same command puts back the step written but not committed, or finishes it."""
    first = str(cause) or type(cause).__name__
    then = str(failure) or type(failure).__name__
    if journal is not None:
        return ScaffoldError(f"{first}; then undoing it failed too ({then}): the tree is as "
                             "the run left it, recorded in this file; make room (or remove "
                             "the cause), then re-run the same command: it repairs what was "
                             "done and finishes the job", path=".git/qscaffold-journal.json")
    return ScaffoldError(f"{first}; then undoing it failed too ({then}): files this run "
                         "wrote may be left (`git status` and `git diff` show them); put "
                         "them back with `git checkout -- FILE` once there is room")
