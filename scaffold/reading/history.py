"""The tree's git history, read only: what `lint --since` asks of it.

Every question is bounded as upstream's history (120,000 commits since 2003) requires:
blame from a commit on, the release cycles read from VERSION's own history in one call,
and a property's changes looked for only inside the cycle in question and the files that
define it.  A git failure is an error with git's own words, never an empty answer (an
empty answer would make `lint --since` silently find nothing)."""
from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from scaffold.errors import ScaffoldError, UsageError
from scaffold.version import Version, current_release, parse_tree_version


class HistoryError(ScaffoldError):
    """git could not answer a question about the history."""


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        # --no-optional-locks: `git status` would otherwise refresh (write) the index
        return subprocess.run(["git", "--no-optional-locks", "-C", str(root), *args],
                              capture_output=True, text=True, errors="replace")
    except OSError as exc:
        raise HistoryError(f"git could not be run: {exc.strerror or exc}") from None


def _git(root: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    proc = _run(root, *args)
    if proc.returncode not in ok:
        words = " ".join(proc.stderr.split()) or f"exit status {proc.returncode}"
        raise HistoryError(f"git {args[0]} failed: {words[:300]}")
    return proc.stdout


@dataclass
class WorkTree:
    """What `git status` says of the tree's folders: files git does not track, and files
    changed since HEAD (staged or not)."""

    untracked: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)


def work_tree(root: Path, tops: Sequence[str]) -> WorkTree | None:
    """One `git status` of `tops` (None when `root` is no git work tree).  A repository
    git cannot read is an error in git's words."""
    if not (root / ".git").exists():
        return None
    out = _git(root, "status", "--porcelain", "-z", "--untracked-files=all",
               "--no-renames", "--", *tops)
    state = WorkTree()
    for entry in out.split("\0"):
        if len(entry) > 3:
            (state.untracked if entry[:2] == "??" else state.changed).add(entry[3:])
    return state


def at_head(root: Path, path: str) -> bytes | None:
    """The file as HEAD has it (None: HEAD has no such file)."""
    proc = subprocess.run(["git", "-C", str(root), "show", f"HEAD:{path}"], capture_output=True)
    return proc.stdout if proc.returncode == 0 else None


def tracked(root: Path, tops: Sequence[str]) -> list[str] | None:
    """The files git tracks below `tops` (None when `root` is no git work tree): what a
    search of the tree reads, so that an untracked copy or a FIFO changes nothing."""
    if not tops or not (root / ".git").exists():
        return None
    return sorted(p for p in _git(root, "ls-files", "-z", "--", *tops).split("\0") if p)


def commit_of(root: Path, rev: str) -> str | None:
    """The commit `rev` names, or None when it names none."""
    out = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", ok=(0, 1, 128))
    return out.strip() or None


def lines_added_since(root: Path, rev: str, path: str) -> dict[int, str]:
    """line number -> the commit that last changed it, for the lines of `path` (as in
    HEAD) changed after `rev`.  A file HEAD does not have has no such lines."""
    if not _git(root, "ls-tree", "--name-only", "HEAD", "--", path).strip():
        return {}
    out = _git(root, "blame", "--porcelain", f"{rev}..HEAD", "--", path)
    added: dict[int, str] = {}
    boundary: set[str] = set()
    sha = ""
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and len(parts[0]) == 40 and all(c in "0123456789abcdef" for c in parts[0]):
            sha = parts[0]
            added[int(parts[2])] = sha
        elif line == "boundary":
            boundary.add(sha)
    return {n: s for n, s in added.items() if s not in boundary}


def file_at(root: Path, sha: str, path: str) -> str | None:
    """`path` as commit `sha` has it; None when it has no such file."""
    if _run(root, "cat-file", "-e", f"{sha}:{path}").returncode != 0:
        return None
    return _git(root, "show", f"{sha}:{path}")


def line_origin(root: Path, path: str, line: int) -> str | None:
    """The commit that wrote line `line` of `path` as HEAD has it (one line's blame: it
    walks back only as far as that commit)."""
    out = _git(root, "blame", "--porcelain", "-L", f"{line},{line}", "HEAD", "--", path)
    first = out.split("\n", 1)[0].split()
    return first[0] if first and len(first[0]) == 40 else None


def commits_naming(root: Path, text: str, paths: list[str], rev_range: str = "HEAD") -> list[str]:
    """Commits of `rev_range` that added or removed `text` in `paths` (git log -S),
    newest first."""
    return _git(root, "log", "--format=%H", "-S", text, rev_range, "--", *paths).split()


@dataclass(eq=False, repr=False)
class Cycles:
    """Where each release cycle starts and ends in the history, from VERSION's changes
    (one `git log` of VERSION: a few hundred commits upstream)."""

    root: Path
    changes: list[tuple[str, Version]] = field(default_factory=list)  # (commit, cycle), oldest first

    @classmethod
    def read(cls, root: Path, oldest: Version) -> "Cycles":
        """VERSION's changes back to the start of the `oldest` cycle asked about: git's
        output is read as it comes and git is stopped there (upstream's whole VERSION
        history costs a walk of every commit)."""
        cmd = ["git", "-C", str(root), "log", "--first-parent", "--format=commit %H", "-p",
               "-U0", "--", "VERSION"]
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, errors="replace")
        except OSError as exc:
            raise HistoryError(f"git could not be run: {exc.strerror or exc}") from None
        found: list[tuple[str, Version]] = []
        sha = ""
        stopped = False
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("commit "):
                sha = line.split()[1]
            elif line.startswith("+") and not line.startswith("+++"):
                version = parse_tree_version(line[1:])
                if version is not None and sha:
                    cycle = current_release(version)
                    if cycle < oldest:   # the oldest cycle's start is behind us
                        stopped = True
                        break
                    found.append((sha, cycle))
                    sha = ""   # one version a commit
        if stopped:
            proc.kill()
        _, err = proc.communicate()
        if not stopped and proc.returncode != 0:
            words = " ".join(err.split()) or f"exit status {proc.returncode}"
            raise HistoryError(f"git log failed: {words[:300]}")
        return cls(root, list(reversed(found)))

    def range_of(self, cycle: Version) -> str | None:
        """The git range of the commits made in `cycle` (VERSION said a version of it),
        or None when the history never was in that cycle."""
        start = next((i for i, (_, c) in enumerate(self.changes) if c == cycle), None)
        if start is None:
            return None
        end = next((sha for sha, c in self.changes[start + 1:] if c != cycle), None)
        first = self.changes[start][0]
        base = f"{first}^" if _has_parent(self.root, first) else None
        top = f"{end}^" if end else "HEAD"
        return f"{base}..{top}" if base else top


    def starts_at_boundary(self, cycle: Version, boundary: set[str]) -> bool:
        """Whether the cycle's first commit known is where a shallow clone stops: where
        the cycle really starts cannot be told."""
        first = next((sha for sha, c in self.changes if c == cycle), None)
        return first is None or first in boundary


def _has_parent(root: Path, sha: str) -> bool:
    return bool(_git(root, "rev-list", "--parents", "-n", "1", sha).split()[1:])


class _Entry(Protocol):
    """What read_since needs of a compat entry (reading/qom/entries.Entry)."""

    @property
    def array(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def array_line(self) -> int: ...


Added = dict[tuple[str, int], tuple[str, "str | None"]]   # (path, line) -> (commit, VERSION then)


@dataclass
class Since:
    """What changed after a revision, as lint --since asks it: the lines of the compat
    arrays and family files added since (`added`), and whether a property changed in a
    release's cycle where it is defined (`changed_in`, asked lazily: one bounded query
    per property and cycle)."""

    added: Added
    changed_in: Callable[[str, Version], bool]


def shallow_boundary(root: Path) -> set[str]:
    """The commits a shallow clone's history stops at (their parents are not fetched);
    empty for a whole history."""
    if _git(root, "rev-parse", "--is-shallow-repository").strip() != "true":
        return set()
    path = Path(_git(root, "rev-parse", "--git-path", "shallow").strip())
    path = path if path.is_absolute() else root / path
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def _too_short(what: str) -> UsageError:
    return UsageError(f"--since: this clone is shallow and {what}, so what changed since "
                      "cannot be told; fetch more history (`git fetch --deepen=N` or "
                      "`--unshallow`; docs/ci.md)")


def read_since(root: Path, rev: str, entries: Sequence[_Entry], family_files: list[str],
               files_defining: Callable[[str], list[str]]) -> Since:
    """`rev` a revision of the tree, or `newest`: the commit that added the newest
    compat array.  A shallow clone whose history does not reach back as far as the
    question needs is said, never answered from the part it has (at depth 1 nothing
    was found; at depth 2 a property's change in a cycle not fetched was taken for none)."""
    if not (root / ".git").exists():
        raise UsageError(f"--since needs the tree's git history ({root} has no .git)")
    boundary = shallow_boundary(root)
    arrays = [(e, _release(e.array)) for e in entries]
    if rev == "newest":
        newest = max(((e, r) for e, r in arrays if r is not None), key=lambda er: er[1],
                     default=None)
        origin = line_origin(root, newest[0].path, newest[0].array_line) if newest else None
        if origin is None:
            raise UsageError("--since newest: no commit added the newest compat array")
        if origin in boundary:   # blame stops at the cut: the real origin is older
            raise _too_short(f"its history stops before the commit that added "
                             f"{newest[0].array if newest else 'the newest array'}")
        rev = origin
    sha = commit_of(root, rev)
    if sha is None:
        if boundary:
            raise _too_short(f"{rev} is not in the part of the history it has")
        raise UsageError(f"--since {rev}: not a commit of {root}")
    versions: dict[str, str | None] = {}
    added: Added = {}
    for path in sorted({e.path for e in entries} | set(family_files)):
        for line, commit in lines_added_since(root, sha, path).items():
            if commit not in versions:
                versions[commit] = file_at(root, commit, "VERSION")
            added[(path, line)] = (commit, versions[commit])
    oldest = min((r.next() for e, r in arrays if r is not None and (e.path, e.line) in added),
                 default=None)
    cycles: list[Cycles] = []
    answers: dict[tuple[str, Version], bool] = {}

    def changed_in(prop: str, cycle: Version) -> bool:
        """Whether a commit of `cycle` added or removed `"prop"` where it is defined."""
        if (prop, cycle) not in answers:
            if not cycles:
                cycles.append(Cycles.read(root, min(oldest or cycle, cycle)))
            span = cycles[0].range_of(cycle)
            if boundary and (span is None or cycles[0].starts_at_boundary(cycle, boundary)):
                raise _too_short(f"the {cycle} cycle is not all in it")
            # where it is defined, and headers (a DEFINE_PROP macro that names it)
            files = files_defining(prop) + ["*.h"]
            answers[(prop, cycle)] = span is not None and bool(
                commits_naming(root, f'"{prop}"', files, span))
        return answers[(prop, cycle)]

    return Since(added, changed_in)


def _release(array: str) -> Version | None:
    """hw_compat_9_2 and pc_compat_9_2 are 9.2's; other arrays belong to no release."""
    parts = array.split("_")
    if len(parts) == 4 and parts[0] in ("hw", "pc") and parts[1] == "compat" and \
            parts[2].isdigit() and parts[3].isdigit():
        return Version(int(parts[2]), int(parts[3]))
    return None
