"""The journal of a committing run: what a run killed part-way (kill -9, a power cut)
leaves for the next run to recognise and repair.

`.git/qscaffold-journal.json` is written before the first action and removed when the run
ends, done or undone.  It names the commit the run started from and, for each step, its
subject and each file's content before and after (SHA-1 of the bytes).  A later run that
finds it, before it reads the tree:
- counts the steps already committed (the commits on top of the start, by subject);
- puts the user's index back in step with HEAD where it still holds this run's older
  content (the kill came between a commit and the index update);
- puts back the files of a step that was written but not committed (from HEAD).
Then the command plans from what is committed, as any run does, and finishes the job.
Anything else (HEAD moved on, a file edited since) is refused with the file's name."""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from scaffold.applying import scm, writer
from scaffold.errors import ScaffoldError

NAME = "qscaffold-journal.json"
_MARK = "QSCAFFOLD_RUN"


def digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def path_of(repo) -> Path:
    return Path(repo.git_dir) / NAME


class Journal:
    """An open journal: `close()` once the run is done or undone."""

    def __init__(self, repo, steps: list[tuple[str, dict[str, tuple[bytes, bytes]]]]):
        self.path = path_of(repo)
        token = f"{os.getpid()}-{time.time_ns()}"
        # Every git process of the run (and its hooks) carries the token: after a kill -9
        # they run on as orphans, and the repair waits for them rather than race them.
        os.environ[_MARK] = token
        record = {"base": scm.head_sha(repo), "token": token, "steps": [
            {"subject": subject, "files": {p: [digest(old), digest(new)]
                                           for p, (old, new) in contents.items()}}
            for subject, contents in steps]}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1))
        tmp.replace(self.path)

    def close(self) -> None:
        self.path.unlink(missing_ok=True)
        os.environ.pop(_MARK, None)


def _wait_for_orphans(token: str, seconds: float = 30) -> None:
    """Wait until no process of the interrupted run is left (Linux's /proc; elsewhere
    there is nothing to look at)."""
    needle = f"{_MARK}={token}\0".encode()
    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if needle in (proc / "environ").read_bytes() + b"\0":
                    alive.append(proc.name)
            except OSError:
                continue
        if not alive:
            return
        if time.monotonic() > deadline:
            raise ScaffoldError(f"processes of the interrupted run are still running "
                                f"(pid {', '.join(alive)}); wait for them, then re-run",
                                path=f".git/{NAME}")
        time.sleep(0.1)


def pending(root: Path) -> Path | None:
    """The journal of an interrupted run in the repository at `root`, if there is one
    (read without GitPython: a dry run does not import it).  In a linked worktree `.git`
    is a file naming the git folder."""
    git_dir = root / ".git"
    if git_dir.is_file():
        text = git_dir.read_text(errors="replace").strip()
        git_dir = (root / text.removeprefix("gitdir:").strip()).resolve()
    return git_dir / NAME if (git_dir / NAME).exists() else None


def _load(path: Path) -> dict:
    """The journal, checked against its schema: a truncated or damaged one (a power cut)
    is one line saying what to do, never a traceback and never a guess."""
    damaged = ScaffoldError("the record of an interrupted qscaffold run cannot be read "
                            "(empty, cut short or damaged); check `git log` and `git status`, "
                            f"then remove .git/{NAME}", path=f".git/{NAME}")
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise damaged from None

    def digests(value) -> bool:
        return isinstance(value, list) and len(value) == 2 and \
            all(isinstance(h, str) and len(h) == 40 for h in value)
    ok = isinstance(record, dict) and isinstance(record.get("base"), str) and \
        isinstance(record.get("token", ""), str) and isinstance(record.get("steps"), list) and \
        all(isinstance(step, dict) and isinstance(step.get("subject"), str) and
            isinstance(step.get("files"), dict) and
            all(isinstance(k, str) and digests(v) for k, v in step["files"].items())
            for step in record["steps"])
    if not ok:
        raise damaged
    record.setdefault("token", "")
    return record


def repair(repo) -> str | None:
    """Bring the repository back to a committed state of the interrupted run recorded in
    its journal; returns what was done (None: no journal)."""
    path = path_of(repo)
    if not path.exists():
        return None
    record = _load(path)
    _wait_for_orphans(record["token"])
    steps = record["steps"]
    commits = scm.commits_since(repo, record["base"])
    subjects = [s["subject"] for s in steps]
    if commits is None or [c[1] for c in commits] != subjects[:len(commits)]:
        raise ScaffoldError("an interrupted qscaffold run is recorded here, but HEAD has moved "
                            f"on since; check `git log` and `git status`, then remove .git/{NAME}",
                            path=f".git/{NAME}")
    done = len(commits)
    seen: dict[str, set[str]] = {}
    for step in steps:
        for rel, hashes in step["files"].items():
            seen.setdefault(rel, set()).update(hashes)
    lagging = []
    for rel in sorted(seen):   # the index still holds an older state of this run
        entry = scm.index_entry(repo, rel)
        if entry and entry != scm.tree_entry(repo, rel):
            data = scm.object_bytes(repo, entry)
            if data is not None and digest(data) in seen[rel]:
                lagging.append(rel)
    scm.reset_paths(repo, lagging)
    restored = []
    if done < len(steps):   # written (perhaps in part) but not committed
        root = Path(repo.working_tree_dir)
        for rel, (old, new) in steps[done]["files"].items():
            data = (root / rel).read_bytes()
            if digest(data) == old:
                continue
            committed = scm.head_bytes(repo, rel)
            if digest(data) != new or committed is None or digest(committed) != old:
                raise ScaffoldError("changed since an interrupted qscaffold run (recorded in "
                                    f".git/{NAME}); check it, then remove .git/{NAME}",
                                    path=rel)
            writer.atomic_write(root / rel, committed)
            restored.append(rel)
    path.unlink()
    parts = [f"{done} of its {len(steps)} commits had been made"]
    if lagging:
        parts.append(f"the index of {', '.join(lagging)} was brought up to HEAD")
    if restored:
        parts.append(f"the uncommitted {', '.join(restored)} were put back as committed")
    return "an interrupted run was repaired: " + "; ".join(parts)
