"""`qscaffold bump X.Y`: plan, then show (dry run) or write and commit."""
from __future__ import annotations

import re

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pathlib import Path

from scaffold.applying.steps import ApplyOptions, Step, apply_steps
from scaffold.commands.apply_plan import validate_options, note, recover, show_dry_run
from scaffold.planning.bump import plan_bump
from scaffold.planning.plan import Contents, Plan
from scaffold.reading.tree import QemuTree
from scaffold.version import Version, in_development

if TYPE_CHECKING:
    from scaffold.reading.families import DownstreamVersion


@dataclass(eq=False, repr=False)
class BumpOptions(ApplyOptions):
    """`qscaffold bump` options."""

    version: str = ""
    repo: Path | None = None
    families: Path | None = None   # --families FILE: a vendor's families besides the others


def subject(target: Version) -> str:
    return f"hw: add compat machines for {target}"


def step_for(plan: Plan, contents: Contents, title: str | None = None) -> Step:
    """The commit: upstream's subject, or the vendor's (`title`) for a downstream bump,
    whose message also says which families were left alone and why."""
    families = "/".join(sorted(plan.families))
    if title is not None:
        summary = f"Add {plan.target} machine types for {families}." if families else ""
        if plan.skipped:
            summary += f"  No new type for {'; '.join(plan.skipped)}."
        return Step(title.format(version=plan.target), summary.strip(),
                    f"Generated with `qscaffold bump {plan.target}`.", contents)
    target = plan.target
    assert isinstance(target, Version)   # upstream's bump (a vendor's has its `title`)
    summary = (f"Add {target} machine types for {families}." if families
               else f"Add the {target.prev()} compat arrays.")
    return Step(subject(target), summary, f"Generated with `qscaffold bump {target}`.",
                contents)


def message_for(plan: Plan, signoff: tuple[str, str] | None, provenance: bool) -> str:
    return step_for(plan, {}).message(signoff, provenance)


def run(opts: BumpOptions) -> int:
    """Every release, upstream's or a vendor's, through the one planner (planning/bump.py)."""
    from scaffold.reading.family_files import bump_subject, with_families_file

    tree = with_families_file(QemuTree.open(opts.repo), opts.families)
    target = _target(tree, opts.version)
    validate_options(opts, tree)
    tree = recover(opts, tree)
    plan = plan_bump(tree, target, verify_later=opts.dry_run)   # checked while git diffs
    upstream = isinstance(target, Version)
    title = None if isinstance(target, Version) else bump_subject(tree, target.vendor)
    if not plan.edits:
        _nothing_to_do(opts, tree, plan, f"the {target} machine types and compat arrays"
                       if upstream else f"the {target} machine types")
    else:
        _write(opts, tree, plan, target, title)
    if not upstream:
        _vendor_notes(plan)
    for finding in plan.notes:  # after success: an error stays the only line
        note(str(finding))
    return 0


def _target(tree: QemuTree, text: str) -> Version | DownstreamVersion:
    """11.0, or a vendor's release: rhel9.4.0, or ubuntu-kinetic (a codename the vendor's
    families data lists)."""
    from scaffold.reading.families import DownstreamVersion
    from scaffold.reading.family_files import parse_version

    vendor = DownstreamVersion.parse(text)
    if vendor is None and re.fullmatch(r"[a-z]+-[a-z]+", text):
        vendor = parse_version(tree, text)
    return vendor if vendor is not None else Version.parse(text)


def _write(opts: BumpOptions, tree: QemuTree, plan: Plan, target: Version | DownstreamVersion,
           title: str | None) -> None:
    step = step_for(plan, plan.contents(tree), title)
    if opts.dry_run:
        show_dry_run(opts, tree, [step], _as_json(plan), check=plan.verify)
        _warnings(tree, plan, target)   # after the last check: an error stays the only line
        return
    _warnings(tree, plan, target)

    def replan(clean: QemuTree) -> list[Step]:
        from scaffold.reading.family_files import with_families_file

        again = plan_bump(with_families_file(clean, opts.families), target)
        return [step_for(again, again.contents(clean), title)]

    shas = apply_steps(opts, tree, [step], replan)
    families = ", ".join(plan.families) or "none"
    what = f"committed {shas[0][:12]}" if shas else "nothing was committed (--no-commit)"
    note(f"bumped to {plan.target} (families: {families}); {len(step.contents)} files changed; {what}")


def _vendor_notes(plan: Plan) -> None:
    if plan.done:
        note(f"completing a partial bump; already present: {', '.join(plan.done)}")
    for skipped in plan.skipped:
        note(f"no new type for {skipped}")
    if any("older major" in s for s in plan.skipped):
        note("a frozen family is continued with `continued = true` in the families data "
             "(docs/families.md)")


def _warnings(tree: QemuTree, plan: Plan, target: Version | DownstreamVersion) -> None:
    """Upstream's: a bump made on a release's tree, a partial bump completed."""
    if not isinstance(target, Version):
        return
    if tree.version and not in_development(tree.version):
        major, minor, micro = tree.version
        note(f"warning: VERSION {major}.{minor}.{micro} is a release or stable branch; the "
             f"{target} machine types are normally added on the development branch "
             f"(VERSION {major}.{minor}.50)")
    if plan.done:
        note(f"completing a partial bump; already present: {', '.join(plan.done)}")


def _as_json(plan: Plan) -> Callable[[], bytes]:
    def as_json() -> bytes:
        import json   # only for --format json

        return json.dumps(plan.as_json(), indent=2).encode() + b"\n"

    return as_json


def _nothing_to_do(opts: BumpOptions, tree: QemuTree, plan: Plan, what: str) -> None:
    note(f"nothing to do: the tree already has {what}")
    if opts.format == "json":
        show_dry_run(opts, tree, [], _as_json(plan))


