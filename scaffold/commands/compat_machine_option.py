"""`qscaffold compat machine-option PIECE...`: statements and declarations into a release's
compat machine of each chosen family (planning/compat_edit.py), shown or written."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scaffold.errors import UsageError


@dataclass(eq=False, repr=False)
class MachineOptionOptions:
    pieces: list[str] = field(default_factory=list)
    snippet: Path | None = None          # --from FILE (- for standard input)
    families: list[str] = field(default_factory=list)
    every: bool = False                  # --all
    param: str | None = None             # --as VAR
    release: str | None = None
    instance: bool = False               # s390x: into the instance options
    repo: Path | None = None
    dry_run: bool = False
    build_dir: Path | None = None


def run(opts: MachineOptionOptions) -> int:
    from scaffold.commands.apply_plan import hold_for_writing, show_or_write
    from scaffold.planning.compat_edit import plan_machine_option, split_snippet
    from scaffold.reading.tree import QemuTree
    from scaffold.userfiles import read_text
    from scaffold.version import Version

    if opts.families and opts.every:
        raise UsageError("--family and --all exclude each other")
    version = Version.parse(opts.release) if opts.release is not None else None
    pieces = list(opts.pieces)
    if opts.snippet is not None:
        pieces += split_snippet(read_text(opts.snippet, "--from"))
    tree = QemuTree.open(opts.repo)
    hold_for_writing(tree, opts.dry_run)
    plan = plan_machine_option(tree, pieces, opts.families, opts.every, opts.param,
                               release=version, instance=opts.instance)
    return show_or_write(tree, plan, opts.dry_run, build_dir=opts.build_dir)
