"""`qscaffold compat add` / `compat machine-option`: plan, then show or write (never
commit: the entry belongs in the commit of the change that needs it)."""
from __future__ import annotations

import sys
from pathlib import Path

from scaffold.commands.apply_plan import hold_for_writing, show_or_write
from scaffold.userfiles import read_text
from scaffold.planning.compat_edit import plan_compat_add, plan_machine_option, split_snippet
from scaffold.reading.tree import QemuTree
from scaffold.version import Version


def add(repo: Path | None, device: str, prop: str, value: str, x86: bool, release: str | None,
        force: bool, dry_run: bool, build_dir: Path | None) -> int:
    version = Version.parse(release) if release is not None else None
    tree = QemuTree.open(repo)
    hold_for_writing(tree, dry_run)
    plan = plan_compat_add(tree, device, prop, value, x86, force, release=version)
    return show_or_write(tree, plan, dry_run, build_dir=build_dir)


def machine_option(repo: Path | None, pieces: list[str], snippet: Path | None,
                   families: list[str], every: bool, param: str | None, release: str | None,
                   instance: bool, dry_run: bool, build_dir: Path | None) -> int:
    version = Version.parse(release) if release is not None else None
    if snippet is not None:
        pieces = pieces + split_snippet(_read_snippet(snippet))
    tree = QemuTree.open(repo)
    hold_for_writing(tree, dry_run)
    plan = plan_machine_option(tree, pieces, families, every, param, release=version,
                               instance=instance)
    return show_or_write(tree, plan, dry_run, build_dir=build_dir)


def _read_snippet(path: Path) -> str:
    return read_text(path, "--from")


def rebase(repo: Path | None, old_base: str, new_base: str, families: Path | None,
           dry_run: bool, build_dir: Path | None, array_release: str | None = None) -> int:
    from scaffold.planning.rebase import plan_rebase

    from scaffold.reading.downstream import with_families_file

    tree = with_families_file(QemuTree.open(repo), families)
    hold_for_writing(tree, dry_run)
    plan = plan_rebase(tree, Version.parse(old_base), Version.parse(new_base),
                       Version.parse(array_release) if array_release else None)
    for done in plan.done:
        print(f"qscaffold: already there: {done}", file=sys.stderr)
    for declined in plan.skipped:
        print(f"qscaffold: declined: {declined}", file=sys.stderr)
    for left in plan.left:
        print(f"qscaffold: for a person: {left}", file=sys.stderr)
    status = show_or_write(tree, plan, dry_run, build_dir=build_dir)
    _say_the_compat_left(tree, plan)
    return status


def _say_the_compat_left(tree: QemuTree, plan) -> None:
    """What the vendor's types still apply otherwise than the upstream types they claim,
    once the rebase is in (issue 36): the diff it leaves, for a person to copy or decline."""
    from scaffold.rules.vendor_compat import judge

    after = tree.with_contents(plan.contents(tree)) if plan.edits else tree
    left = judge(after)
    for finding in left:
        print(f"qscaffold: compat left: {finding.path}:{finding.line}: {finding.message}",
              file=sys.stderr)
    if not left:
        print("qscaffold: compat left: every vendor type applies what the upstream type it "
              "claims applies, besides its own entries and what it declined", file=sys.stderr)
