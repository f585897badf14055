"""Git through GitPython: find the repository, check it, commit only our files.

GitPython is imported only by commands that commit (it costs ~50 ms to import).
"""
from __future__ import annotations

import textwrap
from email.utils import formatdate
from pathlib import Path

from scaffold.errors import ScaffoldError

MAX_BODY = 76


def open_repo(root: Path):
    """The git repository whose work tree is `root`, or None."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    if repo.bare or Path(repo.working_tree_dir).resolve() != root.resolve():
        return None
    return repo


def identity(repo=None) -> tuple[str, str]:
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
    import os

    home = Path.home()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME", home / ".config"))
    return [Path("/etc/gitconfig"), xdg / "git" / "config", home / ".gitconfig"]


def dirty(repo, paths: list[str]) -> list[str]:
    """Those of `paths` with uncommitted changes, staged or not."""
    out = repo.git.status("--porcelain", "--untracked-files=no", "--", *paths)
    return sorted({line[3:] for line in out.splitlines() if line.strip()})


def branch_exists(repo, name: str) -> bool:
    return name in [h.name for h in repo.heads]


def create_branch(repo, name: str) -> None:
    repo.git.checkout("-b", name)


def commit_message(subject: str, summary: str, provenance: str | None,
                   signoff: tuple[str, str] | None) -> str:
    paragraphs = [textwrap.fill(summary, MAX_BODY, break_on_hyphens=False)]
    if provenance:
        paragraphs.append(textwrap.fill(provenance, MAX_BODY, break_on_hyphens=False))
    message = subject + "\n\n" + "\n\n".join(paragraphs) + "\n"
    if signoff:
        message += f"\nSigned-off-by: {signoff[0]} <{signoff[1]}>\n"
    return message


def commit(repo, paths: list[str], message: str) -> str:
    """Commit exactly `paths` (their work-tree content); other staged work stays staged."""
    repo.git.commit("--only", "-F", "-", "--", *paths, istream=_stdin(message))
    return repo.head.commit.hexsha


def _stdin(text: str):
    import tempfile

    fh = tempfile.TemporaryFile()
    fh.write(text.encode())
    fh.seek(0)
    return fh


def mbox(message: str, author: tuple[str, str], diffstat_and_diff: bytes, git_version: str,
         date: str | None = None) -> bytes:
    """A patch in the form `git format-patch` writes, for a commit not made yet."""
    subject, _, body = message.partition("\n\n")
    head = (f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
            f"From: {author[0]} <{author[1]}>\n"
            f"Date: {date or formatdate(localtime=True)}\n"
            f"Subject: [PATCH] {subject}\n\n{body}---\n")
    return head.encode() + diffstat_and_diff + f"-- \n{git_version}\n\n".encode()
