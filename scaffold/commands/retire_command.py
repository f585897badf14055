"""`qscaffold retire [UP_TO]`: plan the series, then show it (dry run) or write and commit
it step by step; what cannot be done mechanically is reported after it."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.applying.steps import ApplyOptions, Step, apply_steps
from scaffold.commands.apply_plan import validate_options, note, recover, show_dry_run
from scaffold.planning.retire import Series, plan_retire
from scaffold.reading.tree import QemuTree
from scaffold.version import Version


@dataclass(eq=False, repr=False)
class RetireOptions(ApplyOptions):
    """`qscaffold retire` options."""

    up_to: str | None = None
    families: list[str] = field(default_factory=list)
    repo: Path | None = None


def steps_of(series: Series) -> list[Step]:
    return [Step(s.subject, s.summary, series.provenance, s.contents) for s in series.steps]


def run(opts: RetireOptions) -> int:
    up_to = Version.parse(opts.up_to) if opts.up_to is not None else None
    tree = QemuTree.open(opts.repo)
    validate_options(opts, tree)
    tree = recover(opts, tree)
    args = "".join(f" --family {f}" for f in opts.families) + (f" {up_to}" if up_to else "") + \
        (" --force" if opts.force and up_to else "")

    def plan(t: QemuTree) -> Series:
        return plan_retire(t, up_to, opts.families, opts.force, args)

    series = plan(tree)
    steps = steps_of(series)
    if not steps:
        note("nothing to do: no machine type to retire and no dead compat array")
    elif opts.dry_run:
        show_dry_run(opts, tree, steps,
                     lambda: json.dumps(series.as_json(), indent=2).encode() + b"\n")
    else:
        shas = apply_steps(opts, tree, steps, lambda clean: steps_of(plan(clean)))
        what = f"{len(shas)} commits" if shas else "nothing was committed (--no-commit)"
        note(f"retired {', '.join(series.retired) or 'no machine type'}; {len(steps)} steps; {what}")
    if opts.format != "json" or not opts.dry_run:
        for item in series.followups:
            print(f"qscaffold: follow-up: {item}", file=sys.stderr)
    return 0
