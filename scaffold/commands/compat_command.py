"""`qscaffold compat add` / `compat machine-option`: plan, then show or write (never
commit: the entry belongs in the commit of the change that needs it)."""
from __future__ import annotations

from pathlib import Path

from scaffold.applying.output import show_or_write
from scaffold.planning.compat_edit import plan_compat_add, plan_machine_option
from scaffold.reading.tree import QemuTree
from scaffold.version import Version


def add(repo: Path | None, device: str, prop: str, value: str, x86: bool, release: str | None,
        force: bool, dry_run: bool, build_dir: Path | None) -> int:
    version = Version.parse(release) if release is not None else None
    tree = QemuTree.open(repo)
    plan = plan_compat_add(tree, device, prop, value, x86, force, release=version)
    return show_or_write(tree, plan, dry_run, build_dir=build_dir)


def machine_option(repo: Path | None, statement: str, families: list[str], every: bool,
                   param: str | None, release: str | None, instance: bool, dry_run: bool,
                   build_dir: Path | None) -> int:
    version = Version.parse(release) if release is not None else None
    tree = QemuTree.open(repo)
    plan = plan_machine_option(tree, statement, families, every, param, release=version,
                               instance=instance)
    return show_or_write(tree, plan, dry_run, build_dir=build_dir)
