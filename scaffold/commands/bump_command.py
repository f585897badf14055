"""`qscaffold bump X.Y`: plan, then show (dry run) or write and commit."""
from __future__ import annotations

from dataclasses import dataclass

import json
from pathlib import Path

from scaffold.applying.steps import ApplyOptions, Step, apply_steps
from scaffold.commands.apply_plan import validate_options, note, recover, show_dry_run
from scaffold.planning.bump import plan_bump
from scaffold.reading.tree import QemuTree
from scaffold.version import Version, in_development


@dataclass(eq=False, repr=False)
class BumpOptions(ApplyOptions):
    """`qscaffold bump` options."""

    version: str = ""
    repo: Path | None = None


def subject(target: Version) -> str:
    return f"hw: add compat machines for {target}"


def step_for(plan, contents) -> Step:
    families = "/".join(sorted(plan.families))
    summary = (f"Add {plan.target} machine types for {families}." if families
               else f"Add the {plan.target.prev()} compat arrays.")
    return Step(subject(plan.target), summary, f"Generated with `qscaffold bump {plan.target}`.",
                contents)


def message_for(plan, signoff: tuple[str, str] | None, provenance: bool) -> str:
    return step_for(plan, {}).message(signoff, provenance)


def run(opts: BumpOptions) -> int:
    from scaffold.errors import UsageError
    from scaffold.reading.downstream import DownstreamVersion

    if DownstreamVersion.parse(opts.version) is not None:
        raise UsageError(f"bump {opts.version}: a distribution's machine types are read and "
                         "checked (`qscaffold machines`, `check`), not bumped yet; bump takes "
                         "an upstream release, MAJOR.MINOR")
    target = Version.parse(opts.version)
    tree = QemuTree.open(opts.repo)
    validate_options(opts, tree)
    tree = recover(opts, tree)
    plan = plan_bump(tree, target)
    code = _run(opts, tree, plan, target)
    for finding in plan.notes:  # after success: an error stays the only line
        note(str(finding))
    return code


def _warnings(tree: QemuTree, plan, target: Version) -> None:
    if tree.version and not in_development(tree.version):
        major, minor, micro = tree.version
        note(f"warning: VERSION {major}.{minor}.{micro} is a release or stable branch; the "
             f"{target} machine types are normally added on the development branch "
             f"(VERSION {major}.{minor}.50)")
    if plan.done:
        note(f"completing a partial bump; already present: {', '.join(plan.done)}")


def _run(opts: BumpOptions, tree, plan, target: Version) -> int:
    as_json = lambda: json.dumps(plan.as_json(), indent=2).encode() + b"\n"  # noqa: E731
    if not plan.edits:
        note(f"nothing to do: the tree already has the {target} machine types and compat arrays")
        if opts.format == "json":
            show_dry_run(opts, tree, [], as_json)
        return 0
    step = step_for(plan, plan.contents(tree))
    if opts.dry_run:
        show_dry_run(opts, tree, [step], as_json)
        _warnings(tree, plan, target)   # after the last check: an error stays the only line
        return 0
    _warnings(tree, plan, target)
    shas = apply_steps(opts, tree, [step],
                       lambda clean: [step_for(p, p.contents(clean)) for p in [plan_bump(clean, target)]])
    families = ", ".join(plan.families) or "none"
    what = f"committed {shas[0][:12]}" if shas else "nothing was committed (--no-commit)"
    note(f"bumped to {plan.target} (families: {families}); {len(step.contents)} files changed; {what}")
    return 0
