"""`qscaffold compat add DEVICE PROPERTY VALUE`: an entry into a release's compat array,
planned (planning/compat_edit.py), then shown or written, never committed: the entry
belongs in the commit of the change that needs it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(eq=False, repr=False)
class CompatAddOptions:
    device: str
    prop: str
    value: str
    x86: bool = False            # pc_compat instead of hw_compat
    release: str | None = None
    repo: Path | None = None
    force: bool = False          # a type or property the tree does not declare
    dry_run: bool = False
    build_dir: Path | None = None


def run(opts: CompatAddOptions) -> int:
    from scaffold.commands.apply_plan import hold_for_writing, show_or_write
    from scaffold.planning.compat_edit import plan_compat_add
    from scaffold.reading.tree import QemuTree
    from scaffold.version import Version

    version = Version.parse(opts.release) if opts.release is not None else None
    tree = QemuTree.open(opts.repo)
    hold_for_writing(tree, opts.dry_run)
    plan = plan_compat_add(tree, opts.device, opts.prop, opts.value, opts.x86, opts.force,
                           release=version)
    return show_or_write(tree, plan, opts.dry_run, build_dir=opts.build_dir)
