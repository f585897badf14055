"""`qscaffold compat rebase --from A.B --to C.D`: upstream's compat of the releases since
a distribution's old base carried into its newest types (planning/rebase.py), shown or
written, with what is left for a person and the compat its types still lack."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scaffold.planning.plan import Plan
    from scaffold.reading.tree import QemuTree


@dataclass(eq=False, repr=False)
class RebaseOptions:
    old_base: str
    new_base: str
    array_release: str | None = None
    repo: Path | None = None
    families: Path | None = None
    dry_run: bool = False
    build_dir: Path | None = None


def run(opts: RebaseOptions) -> int:
    from scaffold.commands.apply_plan import hold_for_writing, show_or_write
    from scaffold.commands.reports import open_tree
    from scaffold.planning.rebase import plan_rebase
    from scaffold.version import Version

    tree = open_tree(opts.repo, opts.families)
    hold_for_writing(tree, opts.dry_run)
    plan = plan_rebase(tree, Version.parse(opts.old_base), Version.parse(opts.new_base),
                       Version.parse(opts.array_release) if opts.array_release else None)
    for done in plan.done:
        print(f"qscaffold: already there: {done}", file=sys.stderr)
    for declined in plan.skipped:
        print(f"qscaffold: declined: {declined}", file=sys.stderr)
    for left in plan.left:
        print(f"qscaffold: for a person: {left}", file=sys.stderr)
    status = show_or_write(tree, plan, opts.dry_run, build_dir=opts.build_dir)
    _say_the_compat_left(tree, plan)
    return status


def _say_the_compat_left(tree: QemuTree, plan: Plan) -> None:
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
