"""Every git command qscaffold runs: find the repository, check it, commit only our
files, render diffs and patches.  Nothing else in the package runs git.

GitPython is imported only by commands that commit (it costs ~50 ms to import); what a
dry run needs runs git itself.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from scaffold.errors import ScaffoldError, UsageError

if TYPE_CHECKING:
    from git import Repo as Repo   # the type other modules name (only scm.py imports git)

MAX_BODY = 76


def open_repo(root: Path) -> Repo | None:
    """The git repository whose work tree is `root`, or None."""
    import git

    try:
        repo = git.Repo(_unexpandable(root), search_parent_directories=True, expand_vars=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    if repo.bare or repo.working_tree_dir is None or \
            Path(repo.working_tree_dir).resolve() != root.resolve():
        return None
    return repo


def _unexpandable(root: Path) -> Path:
    """A path to `root` GitPython cannot misread.  GitPython expands environment variables
    in the paths it keeps (its command runner's working directory too, whatever
    `expand_vars` says): a tree under `q$QX/` became another folder, and git ran in the
    wrong repository.  Such a tree is reached through a link in a scratch folder (a later
    run sweeps it, as every scratch folder)."""
    real = root.resolve()
    if "$" not in str(real):
        return root
    from scaffold import scratch

    scratch.sweep()
    folder = Path(tempfile.mkdtemp(prefix=f"qscaffold-path-{os.getpid()}-"))
    (folder / "tree").symlink_to(real, target_is_directory=True)
    return folder / "tree"


def identity(repo: Repo | None = None) -> tuple[str, str]:
    """git's user.name / user.email, as `git commit -s` uses them."""
    import git

    reader = repo.config_reader() if repo is not None else git.GitConfigParser(
        [p for p in _global_configs() if p.exists()], read_only=True)
    try:
        name = reader.get_value("user", "name", "")
        email = reader.get_value("user", "email", "")
    except Exception:
        name = email = ""
    if not name or not email:
        raise ScaffoldError("git has no identity (user.name / user.email); set it with "
                            "`git config user.name ...` or use --no-commit")
    return str(name), str(email)


def _global_configs() -> list[Path]:

    home = Path.home()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME", home / ".config"))
    return [Path("/etc/gitconfig"), xdg / "git" / "config", home / ".gitconfig"]


def dirty(repo: Repo, paths: list[str]) -> list[str]:
    """Those of `paths` with uncommitted changes, staged or not."""
    out = repo.git.status("--porcelain", "--untracked-files=no", "--", *paths)
    return sorted({line[3:] for line in out.splitlines() if line.strip()})


# What git leaves in its folder while an operation waits for the user to finish it.
_IN_PROGRESS = (("MERGE_HEAD", "a merge"), ("CHERRY_PICK_HEAD", "a cherry-pick"),
                ("REVERT_HEAD", "a revert"), ("rebase-merge", "a rebase"),
                ("rebase-apply", "a rebase or `git am`"), ("BISECT_LOG", "a bisect"))


def operation_in_progress(repo: Repo) -> str | None:
    """The unfinished merge, rebase, cherry-pick, revert, am or bisect, if any: a commit
    made now would fold it in (a merge's second parent, a cherry-pick's author)."""
    git_dir = Path(repo.git_dir)
    for name, what in _IN_PROGRESS:
        if (git_dir / name).exists():
            return f"{what} is in progress (.git/{name})"
    return None


def detached(repo: Repo) -> bool:
    return bool(repo.head.is_detached)


def branch_exists(repo: Repo, name: str) -> bool:
    return name in [h.name for h in repo.heads]


def validate_branch_name(name: str) -> None:
    """Refuse a name git would refuse, before anything is done (git's own rules)."""
    proc = subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True)
    if proc.returncode != 0 or name.startswith("-"):
        raise UsageError(f"--branch {name!r} is not a valid branch name")


def is_tracked(root: Path, rel: str) -> bool:
    """Whether git tracks `rel` in the repository at `root` (False outside one)."""
    return subprocess.run(["git", "-C", str(root), "ls-files", "--error-unmatch", "--", rel],
                          capture_output=True).returncode == 0


def config_value(key: str, root: Path | None) -> str:
    """git's configuration value for `key` in the tree (its own, global, system), or ""."""
    try:
        proc = subprocess.run(["git", "config", "--get", key], cwd=root, capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.strip()


def pager(root: Path | None) -> str:
    """The pager git would use (GIT_PAGER, core.pager, PAGER, else less)."""
    try:
        proc = subprocess.run(["git", "var", "GIT_PAGER"], cwd=root, capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "less"
    return proc.stdout.strip() or "less"


def git_version() -> str:
    """"2.39.5": what `git format-patch` writes under its signature line."""
    out = subprocess.run(["git", "--version"], capture_output=True, text=True,
                         errors="replace").stdout
    return out.strip().removeprefix("git version ")


def create_branch(repo: Repo, name: str) -> None:
    _git(repo, "checkout", "-q", "-b", name)


def head_bytes(repo: Repo, path: str) -> bytes | None:
    """The file as HEAD has it (None when HEAD has no such file)."""
    return object_bytes(repo, f"HEAD:{path}")


def object_bytes(repo: Repo, rev: str) -> bytes | None:
    """A blob's bytes (`HEAD:path`, an index entry's id...), or None.  A new git process
    each time: GitPython's long-lived cat-file helper dies with the terminal's Ctrl-C, and
    the undo that follows must still be able to read."""
    import git

    try:
        data = repo.git.execute(["git", "cat-file", "blob", rev], stdout_as_string=False,
                                strip_newline_in_stdout=False)
        return data if isinstance(data, bytes) else None
    except git.GitCommandError:
        return None


def head_sha(repo: Repo) -> str:
    return _git(repo, "rev-parse", "HEAD").strip()


def parent_sha(repo: Repo, sha: str) -> str | None:
    out = _git(repo, "rev-list", "--parents", "-n", "1", sha).split()
    return out[1] if len(out) > 1 else None


def commits_since(repo: Repo, base: str) -> list[tuple[str, str]] | None:
    """(sha, subject) of the commits from `base` to HEAD, oldest first; None when HEAD
    does not descend from `base`."""
    import git

    try:
        repo.git.merge_base("--is-ancestor", base, "HEAD")
    except git.GitCommandError:
        return None
    out = _git(repo, "log", "--reverse", "--format=%H %s", f"{base}..HEAD")
    return [(sha, subject) for line in out.splitlines() if line
            for sha, _, subject in [line.partition(" ")]]


def tree_of(repo: Repo, sha: str) -> str:
    return _git(repo, "rev-parse", f"{sha}^{{tree}}").strip()


def blobs_of(repo: Repo, base: str, paths: list[str]) -> dict[str, set[str]]:
    """path -> the blob ids these paths had in `base` and in every commit since."""
    out: dict[str, set[str]] = {p: set() for p in paths}
    if not paths:
        return out
    for line in _git(repo, "ls-tree", base, "--", *paths).splitlines():
        meta, _, path = line.partition("\t")
        if path in out:
            out[path].add(meta.split()[2])
    raw = _git(repo, "log", "--format=", "--raw", "--no-abbrev", "--no-renames",
               f"{base}..HEAD", "--", *paths)
    for line in raw.splitlines():
        meta, _, path = line.partition("\t")
        fields = meta.split()
        if path in out and len(fields) >= 4:
            out[path].update(f for f in fields[2:4] if set(f) != {"0"})
    return out


def current_branch(repo: Repo) -> str | None:
    return None if repo.head.is_detached else repo.active_branch.name


def index_entry(repo: Repo, path: str) -> str | None:
    """The object id the index records for `path`."""
    staged = _git(repo, "ls-files", "-s", "--", path).split()
    return staged[1] if len(staged) > 1 else None


def tree_entry(repo: Repo, path: str) -> str | None:
    """The object id HEAD records for `path`."""
    listed = _git(repo, "ls-tree", "HEAD", "--", path).split()
    return listed[2] if len(listed) > 2 else None


def reset_paths(repo: Repo, paths: list[str]) -> None:
    """The index entries of `paths` as HEAD has them (the work tree is not touched)."""
    if paths:
        _git(repo, "reset", "-q", "HEAD", "--", *paths)


def merge3(base: bytes, ours: bytes, theirs: bytes) -> bytes | None:
    """`git merge-file`: both changes to `base` together, or None if they overlap."""
    from scaffold import scratch

    with scratch.folder("merge") as tmp:
        names = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            Path(tmp, name).write_bytes(data)
            names.append(str(Path(tmp, name)))
        proc = subprocess.run(["git", "merge-file", "-p", *names], capture_output=True)
    return proc.stdout if proc.returncode == 0 else None


def commit_message(subject: str, summary: str, provenance: str | None,
                   signoff: tuple[str, str] | None) -> str:
    paragraphs = [textwrap.fill(summary, MAX_BODY, break_on_hyphens=False)]
    if provenance:
        paragraphs.append(textwrap.fill(provenance, MAX_BODY, break_on_hyphens=False))
    message = subject + "\n\n" + "\n\n".join(paragraphs) + "\n"
    if signoff:
        message += f"\nSigned-off-by: {signoff[0]} <{signoff[1]}>\n"
    return message


def commit(repo: Repo, files: dict[str, bytes], message: str,
           on_tree: Callable[[str], None] | None = None) -> str:
    """Commit exactly these file contents on top of HEAD, through a private index.

    The commit holds the tool's bytes even where the work tree also has the user's own
    uncommitted lines (--allow-dirty); the user's index keeps its other staged work and
    records the committed bytes for these files, so their own edits show as unstaged on
    top.  Hooks run as for any `git commit`.  `on_tree(tree id)` is told the tree the
    commit will have just before it is made (the journal records it)."""
    from scaffold import scratch

    with scratch.folder("index") as tmp:
        index = str(Path(tmp, "index"))
        entries = []
        with repo.git.custom_environment(GIT_INDEX_FILE=index):
            _git(repo, "read-tree", "HEAD")
            for path, data in files.items():
                sha = _git(repo, "hash-object", "-w", "--stdin", "--path", path,
                           istream=_stdin_bytes(data)).strip()
                staged = _git(repo, "ls-files", "-s", "--", path).split()
                entries.append(f"{staged[0] if staged else '100644'},{sha},{path}")
                _git(repo, "update-index", "--add", "--cacheinfo", entries[-1])
            if on_tree is not None:
                on_tree(_git(repo, "write-tree").strip())
            _git(repo, "commit", "-q", "-F", "-", istream=_stdin_bytes(message.encode()))
    for entry in entries:
        _git(repo, "update-index", "--add", "--cacheinfo", entry)
    return head_sha(repo)


def reset_to(repo: Repo, sha: str) -> None:
    """Move the current branch back to `sha` (undo of our own commits); the index too,
    for the files those commits changed."""
    changed = _git(repo, "diff", "--name-only", sha, "HEAD").split("\n")
    _git(repo, "update-ref", "-m", "qscaffold: undo", "HEAD", sha)
    paths = [p for p in changed if p]
    if paths:
        _git(repo, "reset", "-q", sha, "--", *paths)


def _git(repo: Repo, *args: str, istream: IO[bytes] | None = None) -> str:
    """Run git through GitPython; a failure becomes a one-line ScaffoldError."""
    import git

    try:
        return str(getattr(repo.git, args[0].replace("-", "_"))(*args[1:], istream=istream))
    except git.GitCommandError as exc:
        detail = str(exc.stderr or exc.stdout or "")
        lines = [line.strip().removeprefix("stderr:").strip().strip("'").strip()
                 for line in detail.splitlines()]
        lines = [line for line in lines if line]
        line = lines[-1] if lines else f"exit status {exc.status}"
        raise ScaffoldError(f"git {args[0]} failed: {line}") from None


def _stdin_bytes(data: bytes) -> IO[bytes]:
    fh = tempfile.TemporaryFile()
    fh.write(data)
    fh.seek(0)
    return fh


def mbox(message: str, author: tuple[str, str], diffstat_and_diff: bytes, git_version: str,
         date: str | None = None, number: str | None = None, to: list[str] | None = None,
         cc: list[str] | None = None, cover: bool = False) -> bytes:
    """A patch in the form `git format-patch` writes, for a commit not made yet
    (`number` "03/39" for a series; `to` and `cc` as its --to and --cc write them)."""
    from email.utils import formatdate   # 6 ms of imports: only for a patch series

    subject, _, body = message.partition("\n\n")
    tag = f"[PATCH {number}]" if number else "[PATCH]"
    recipients = "".join(f"{field}: {', '.join(who)}\n" for field, who in (("To", to), ("Cc", cc))
                         if who)
    head = (f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            f"From: {author[0]} <{author[1]}>\n"
            f"Date: {date or formatdate(localtime=True)}\n"
            f"Subject: {tag} {subject}\n{recipients}\n{body}{'' if cover else '---' + chr(10)}")
    return head.encode() + diffstat_and_diff + f"-- \n{git_version}\n\n".encode()


def abbrev_length(root: Path) -> int:
    """The object-name length git uses in this repository (7 outside one)."""
    if (root / ".git").exists():
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, errors="replace")
        if out.returncode == 0 and out.stdout.strip():
            return len(out.stdout.strip())
    return 7


class FolderDiff:
    """`git diff --no-index` of two folders, with the user's git configuration (as
    `git format-patch` has it) but outside any repository: started, and read when
    `output()` is asked (the caller may go on meanwhile).  Its output goes to a file in
    `cwd`: git never waits for a reader."""

    def __init__(self, cwd: str, old: str, new: str, options: list[str]) -> None:
        cmd = ["git", "-c", "core.quotePath=false", "diff", "--no-index", "--no-prefix",
               "--no-ext-diff", "--no-textconv", *options, old, new]
        env = dict(os.environ)
        env.pop("GIT_DIR", None)
        self._out, self._err = (os.path.join(cwd, name) for name in (".diff-out", ".diff-err"))
        with open(self._out, "wb") as out, open(self._err, "wb") as err:
            self._proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)

    def output(self) -> bytes:
        code = self._proc.wait()
        with open(self._out, "rb") as out, open(self._err, "rb") as err:
            data, error = out.read(), err.read()
        if code not in (0, 1):
            raise ScaffoldError(f"git diff failed: {error.decode(errors='replace').strip()}")
        return data


def head_subject(root: Path) -> str:
    return (_git_out(root, "log", "-1", "--format=%s") or "").strip()


def head_patch(root: Path) -> bytes:
    """HEAD as `git format-patch -1` writes it."""
    return subprocess.run(["git", "-C", str(root), "format-patch", "-1", "--stdout"],
                          capture_output=True).stdout


def _git_out(root: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          errors="replace")
    return proc.stdout if proc.returncode == 0 else None
