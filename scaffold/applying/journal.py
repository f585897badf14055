"""The journal of a committing run: what a run killed part-way (kill -9, a power cut)
leaves for the next run to recognise and repair, and the lock that keeps two runs apart.

`.git/qscaffold.lock` is held (flock) by a committing run from before it repairs or
plans to its end, with the holder's pid in it: a second run refuses at once, naming it,
and a live run's journal is never taken for an interrupted one.

`.git/qscaffold-journal.json` is written before the first action and removed when the
run ends, done or undone.  It records the commit the run started from, the branch it
created (`--branch`), each step's subject and each file's work-tree digests before and
after, and as the run goes: the tree of the commit being made, then each commit made
(by id: a hook may rewrite the message).  Before a step writes its files, their bytes
are kept in `.git/qscaffold-journal.d/`, so the step can be put back exactly whatever
git does to line endings (core.autocrlf) and whatever uncommitted lines the files hold
(--allow-dirty).  A later run that finds the journal (holding the lock):
- waits for the killed run's orphaned git processes, and refuses while a stale
  `.git/index.lock` is left (naming it; nothing touched, the journal kept);
- counts the commits already made: those recorded, and one more whose tree is the one
  recorded as being committed (the kill came between commit and record);
- puts back the files of a step that was written but not committed, from the copy;
- puts the user's index back in step with HEAD where it still holds a blob of this run.
Then the command plans from what is committed, as any run does, and finishes the job.
Anything else (HEAD moved on, a file edited since) is refused with the file's name."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scaffold.applying import scm, writer
from scaffold.scratch import RUN_MARK, marked
from scaffold.errors import ScaffoldError

if TYPE_CHECKING:
    from scaffold.applying.scm import Repo   # GitPython's, named by scm.py alone

NAME = "qscaffold-journal.json"
BACKUP = "qscaffold-journal.d"
LOCK = "qscaffold.lock"
_MARK = RUN_MARK   # scratch.py's sweep spares the folders of a run whose git lives on
_held: list[IO[str]] = []   # the run lock's open file, kept for the life of the process


def digest(data: bytes) -> str:
    import hashlib   # 2.5 ms to import: a dry run never records

    return hashlib.sha1(data).hexdigest()


def path_of(repo: Repo) -> Path:
    return Path(repo.git_dir) / NAME


def git_dir_of(root: Path) -> Path:
    """The git folder of the work tree at `root` (a linked worktree's `.git` is a file
    naming it), read without GitPython: a dry run does not import it."""
    git_dir = root / ".git"
    if git_dir.is_file():
        text = git_dir.read_text(errors="replace").strip()
        git_dir = (root / text.removeprefix("gitdir:").strip()).resolve()
    return git_dir


def hold_lock(git_dir: Path) -> None:
    """Take the run lock for the rest of the process, or refuse at once, naming the run
    that holds it."""
    if _held:
        return
    try:
        handle = open(git_dir / LOCK, "a+")
    except OSError:
        return   # a repository we cannot write to: the commit itself will say so
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise ScaffoldError(f"another qscaffold run (pid {holder}) is changing this repository; "
                            "wait for it to finish, then re-run", path=f".git/{LOCK}") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    _held.append(handle)


def holder(git_dir: Path) -> int | None:
    """The pid of a live run holding the lock, if one does (for a dry run's word)."""
    try:
        with open(git_dir / LOCK, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                text = handle.read().strip()
                return int(text) if text.isdigit() else -1
    except OSError:
        pass
    return None


class Journal:
    """An open journal: `close()` once the run is done or undone."""

    def __init__(self, repo: Repo, steps: list[tuple[str, dict[str, tuple[bytes, bytes]]]],
                 branch: tuple[str, str] | None = None):
        self.path = path_of(repo)
        self.backup = self.path.parent / BACKUP
        token = f"{os.getpid()}-{time.time_ns()}"
        # Every git process of the run (and its hooks) carries the token: after a kill -9
        # they run on as orphans, and the repair waits for them rather than race them.
        os.environ[_MARK] = token
        self.record: dict[str, Any] = {"version": 2, "base": scm.head_sha(repo), "token": token,
                       "branch": list(branch) if branch else None, "done": [],
                       "pending_tree": None, "backup_step": None, "steps": [
                           {"subject": subject, "files": {p: [digest(old), digest(new)]
                                                          for p, (old, new) in contents.items()}}
                           for subject, contents in steps]}
        shutil.rmtree(self.backup, ignore_errors=True)
        self._save()

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.record, indent=1))
        tmp.replace(self.path)

    def before_writing(self, index: int, root: Path, paths: list[str]) -> None:
        """Keep the bytes step `index` is about to replace."""
        shutil.rmtree(self.backup, ignore_errors=True)
        for rel in paths:
            target = self.backup / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((root / rel).read_bytes())   # its digest is checked on use
        self.record["backup_step"] = index
        self._save()

    def committing(self, tree: str) -> None:
        self.record["pending_tree"] = tree
        self._save()

    def committed(self, sha: str) -> None:
        self.record["done"].append(sha)
        self.record["pending_tree"] = None
        self._save()

    def close(self) -> None:
        self.path.unlink(missing_ok=True)
        shutil.rmtree(self.backup, ignore_errors=True)
        os.environ.pop(_MARK, None)


def _wait_for_orphans(token: str, seconds: float = 30) -> None:
    """Wait until no process of the interrupted run is left (Linux's /proc; elsewhere
    there is nothing to look at)."""
    deadline = time.monotonic() + seconds
    while True:
        alive = marked(f"{_MARK}={token}\0")
        if not alive:
            return
        if time.monotonic() > deadline:
            raise ScaffoldError(f"processes of the interrupted run are still running "
                                f"(pid {', '.join(alive)}); wait for them, then re-run",
                                path=f".git/{NAME}")
        time.sleep(0.1)


def pending(root: Path) -> Path | None:
    """The journal of an interrupted run in the repository at `root`, if there is one."""
    found = git_dir_of(root) / NAME
    return found if found.exists() else None


def _load(path: Path) -> dict[str, Any]:
    """The journal, checked against its schema: a truncated or damaged one (a power cut)
    is one line saying what to do, never a traceback and never a guess."""
    damaged = ScaffoldError("the record of an interrupted qscaffold run cannot be read "
                            "(empty, cut short, damaged or of another version); check `git log` "
                            f"and `git status`, then remove .git/{NAME}", path=f".git/{NAME}")
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):   # RecursionError: `[[[[...`
        raise damaged from None

    def sha(value: object) -> bool:
        return isinstance(value, str) and len(value) == 40

    def digests(value: object) -> bool:
        return isinstance(value, list) and len(value) == 2 and all(sha(h) for h in value)
    ok = isinstance(record, dict) and record.get("version") == 2 and sha(record.get("base")) \
        and isinstance(record.get("token"), str) and isinstance(record.get("steps"), list) \
        and isinstance(record.get("done"), list) and all(sha(s) for s in record["done"]) \
        and (record.get("pending_tree") is None or sha(record["pending_tree"])) \
        and (record.get("backup_step") is None or isinstance(record["backup_step"], int)) \
        and (record.get("branch") is None or (isinstance(record["branch"], list) and
                                              len(record["branch"]) == 2)) \
        and all(isinstance(step, dict) and isinstance(step.get("subject"), str) and
                isinstance(step.get("files"), dict) and
                all(isinstance(k, str) and digests(v) for k, v in step["files"].items())
                for step in record["steps"])
    if not ok:
        raise damaged
    checked: dict[str, Any] = record
    return checked


def repair(repo: Repo) -> tuple[str, str | None] | None:
    """Bring the repository back to a committed state of the interrupted run recorded in
    its journal; returns what was done and the branch the run had created (None: no
    journal).  The run lock must be held."""
    path = path_of(repo)
    if not path.exists():
        return None
    record = _load(path)
    _wait_for_orphans(record["token"])
    lock = Path(repo.git_dir) / "index.lock"
    if lock.exists():   # no process of the run is left: the lock is stale
        raise ScaffoldError("git's index lock is left from the interrupted run, and no git "
                            "process of it runs any more: remove it, then re-run (the record "
                            f"of the run, .git/{NAME}, is kept)", path=".git/index.lock")
    steps = record["steps"]
    moved = ScaffoldError("an interrupted qscaffold run is recorded here, but HEAD has moved on "
                          f"since; check `git log` and `git status`, then remove .git/{NAME}",
                          path=f".git/{NAME}")
    commits = scm.commits_since(repo, record["base"])
    if commits is None:
        raise moved
    shas = [c[0] for c in commits]
    done = list(record["done"])
    if shas[:len(done)] != done:
        raise moved
    extra = shas[len(done):]
    if len(extra) == 1 and record["pending_tree"] and \
            scm.tree_of(repo, extra[0]) == record["pending_tree"]:
        done += extra   # committed, then killed before it was recorded
    elif extra:
        raise moved
    assert repo.working_tree_dir is not None   # open_repo refuses a bare repository
    root = Path(repo.working_tree_dir)
    restored = []
    if len(done) < len(steps):   # written (perhaps in part) but not committed
        step = steps[len(done)]
        backup = path.parent / BACKUP
        to_restore: list[tuple[str, bytes]] = []
        for rel, (old, new) in step["files"].items():   # decide first: touch nothing
            data = (root / rel).read_bytes()            # unless every file can be put back
            if digest(data) == old:
                continue
            kept = backup / rel
            copy = kept.read_bytes() if record["backup_step"] == len(done) and kept.exists() \
                else None
            if digest(data) != new or copy is None or digest(copy) != old:
                raise ScaffoldError("changed since an interrupted qscaffold run (recorded in "
                                    f".git/{NAME}); check it, then remove .git/{NAME}",
                                    path=rel)
            to_restore.append((rel, copy))
        for rel, copy in to_restore:
            writer.atomic_write(root / rel, copy)
            restored.append(rel)
    touched = sorted({rel for step in steps for rel in step["files"]})
    ours = scm.blobs_of(repo, record["base"], touched)
    lagging = [rel for rel in touched if (entry := scm.index_entry(repo, rel)) is not None
               and entry != scm.tree_entry(repo, rel) and entry in ours.get(rel, set())]
    scm.reset_paths(repo, lagging)
    path.unlink()
    shutil.rmtree(path.parent / BACKUP, ignore_errors=True)
    parts = [f"{len(done)} of its {len(steps)} commits had been made"]
    if lagging:
        parts.append(f"the index of {', '.join(lagging)} was brought up to HEAD")
    if restored:
        parts.append(f"the uncommitted {', '.join(restored)} were put back as they were")
    branch = record["branch"][0] if record["branch"] else None
    return "an interrupted run was repaired: " + "; ".join(parts), branch
