"""`qscaffold retire [UP_TO]`: plan the series, then show it (dry run) or write and commit
it step by step; what cannot be done mechanically is reported after it."""
from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.applying.steps import ApplyOptions, Cover, Step, apply_steps, mbox_series
from scaffold.commands.apply_plan import emit, validate_options, note, recover, show_dry_run
from scaffold.errors import UsageError
from scaffold.planning.retire import Series, plan_retire
from scaffold.reading.tree import QemuTree
from scaffold.version import Version


@dataclass(eq=False, repr=False)
class RetireOptions(ApplyOptions):
    """`qscaffold retire` options."""

    up_to: str | None = None
    families: list[str] = field(default_factory=list)
    repo: Path | None = None
    cover_letter: bool = False
    cc: list[str] = field(default_factory=list)   # addresses, or "auto": get_maintainer.pl


def _cover(series: Series, up_to: Version | None) -> Cover:
    """[PATCH 0/N]: what the series retires, and what it leaves for a person."""
    what = f"up to {up_to}" if up_to else "past deletion"
    body = [*textwrap.wrap("This series removes the versioned machine types " + what + " and "
                           "the compat arrays only they used, one commit per family and "
                           "version, then one per array:", 72),
            "", *textwrap.wrap(", ".join(series.retired) or "(no machine type)", 72,
                               initial_indent="  ", subsequent_indent="  ")]
    if series.followups:
        body += ["", "Left for a person:"]
        for item in series.followups:
            body += textwrap.wrap(str(item), 72, initial_indent="- ", subsequent_indent="  ")
    body += ["", series.provenance]
    return Cover(f"Remove the deprecated machine types {what}", "\n".join(body))


def _recipients(tree: QemuTree, steps: list[Step], cc: list[str]
                ) -> tuple[list[str], list[str]]:
    """--cc auto: To the development list, Cc the tree's get_maintainer.pl for the files
    the series touches (its lists too); else the addresses given."""
    if cc != ["auto"]:
        if "auto" in cc:
            raise UsageError("--cc auto asks scripts/get_maintainer.pl; it takes no other "
                             "address beside it")
        return [], cc
    from scaffold.reading.maintainers import addresses

    files = sorted({path for step in steps for path in step.contents})
    lists, people = addresses(tree, files)
    if not lists and not people:
        raise UsageError(f"--cc auto: {tree.root}/scripts/get_maintainer.pl named nobody "
                         "(no script, no perl, or no MAINTAINERS entry)")
    devel = [a for a in lists if a.startswith("qemu-devel@")] or ["qemu-devel@nongnu.org"]
    return devel, people + [a for a in lists if a not in devel]


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

    if (opts.cover_letter or opts.cc) and not (opts.dry_run and opts.format == "patch"):
        raise UsageError(f"{'--cover-letter' if opts.cover_letter else '--cc'} goes with "
                         "--dry-run --format patch (the series for the list)")
    series = plan(tree)
    steps = steps_of(series)
    if not steps:
        note("nothing to do: no machine type to retire and no dead compat array")
    elif opts.dry_run:
        if opts.format != "json":   # the series first, then its diff or its patches
            for i, step in enumerate(steps, 1):
                note(f"[{i}/{len(steps)}] {step.subject}")
        if opts.format == "patch":
            to, cc = _recipients(tree, steps, opts.cc)
            emit(mbox_series(tree, steps, opts, _cover(series, up_to) if opts.cover_letter
                             else None, to, cc), opts.output)
        else:
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
