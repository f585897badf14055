"""Run a plan: a short list of actions, each able to describe itself (for the user and
for dry runs) and to run.  Safety checks all happen before the first action runs, and a
failure puts back what earlier actions did (modelled on tbump's executor)."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.applying import scm, writer


@dataclass
class WriteFiles:
    root: Path
    contents: dict[str, tuple[bytes, bytes]]

    def describe(self) -> str:
        return f"write {len(self.contents)} file(s): {', '.join(self.contents)}"

    def run(self) -> None:
        writer.write_all(self.root, self.contents)

    def undo(self) -> None:
        for rel, (old, _) in self.contents.items():
            if (self.root / rel).read_bytes() != old:
                writer.atomic_write(self.root / rel, old)


@dataclass
class CreateBranch:
    repo: object
    name: str
    previous: str | None = None

    def describe(self) -> str:
        return f"create and check out branch {self.name}"

    def run(self) -> None:
        self.previous = self.repo.active_branch.name if not self.repo.head.is_detached else \
            self.repo.head.commit.hexsha
        scm.create_branch(self.repo, self.name)

    def undo(self) -> None:
        self.repo.git.checkout(self.previous)
        self.repo.git.branch("-D", self.name)


@dataclass
class Commit:
    repo: object
    paths: list[str]
    message: str
    sha: str = field(default="", init=False)

    def describe(self) -> str:
        return f"commit {len(self.paths)} file(s): {self.message.splitlines()[0]}"

    def run(self) -> None:
        self.sha = scm.commit(self.repo, self.paths, self.message)

    def undo(self) -> None:  # the commit is the last action: nothing after it can fail
        pass


def execute(actions: list, quiet: bool = False) -> None:
    done = []
    try:
        for action in actions:
            if not quiet:
                print(f"qscaffold: {action.describe()}", file=sys.stderr)
            action.run()
            done.append(action)
    except BaseException:
        for action in reversed(done):
            action.undo()
        raise
