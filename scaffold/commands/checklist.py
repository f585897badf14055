"""`qscaffold checklist [VERSION]`: the release's checklist as Markdown task items, ticked
from the tree's state: one checklist for every family, upstream's or a vendor's.  Its
steps are units (checklist_upstream.py, checklist_downstream.py, and those every family
takes, below), each taken by the families its data says: a release of upstream's
numbered families (11.0) adds the compat arrays and sends the patch to the lists; a
vendor's release (rhel9.4.0, ubuntu-kinetic) adds its types and, by how its types are
based, the rebase bits or the calls of the QEMU it ships."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from collections.abc import Callable

from scaffold.commands import checklist_downstream as vendor, checklist_upstream as upstream
from scaffold.commands.checklist_model import Context, Item, named
from scaffold.commands.handling import emit_json
from scaffold.reading.families import Base, DownstreamVersion
from scaffold.reading.tree import QemuTree
from scaffold.version import Version


@dataclass(eq=False, repr=False)
class ChecklistOptions:
    version: str | None = None   # 11.0, rhel9.4.0, ubuntu-kinetic (default: the next)
    repo: Path | None = None
    families: Path | None = None
    json: bool = False


def run(opts: ChecklistOptions) -> int:
    from scaffold.commands.reports import open_tree

    ctx = context(open_tree(opts.repo, opts.families), opts.version)
    items = build(ctx)
    if opts.json:
        emit_json(as_json(ctx.target, items), "checklist")
    else:
        print(render(ctx, items), end="")
    return 0


# -- the steps every family takes --------------------------------------------------------

def check(ctx: Context) -> list[Item]:
    """`check` clean: for upstream's release nothing above info; a vendor's tree keeps
    the warnings of what it shipped (a variant on another base), so no error."""
    from scaffold.rules.chain import failing

    bad = failing(ctx.findings(), strict=ctx.upstream)
    return [Item(not bad, "`qscaffold check` is clean (nothing above info)",
                 [str(f) for f in bad[:10]] + ([f"... {len(bad) - 10} more"]
                                               if len(bad) > 10 else []), id="check")]


def lint(ctx: Context) -> list[Item]:
    return [named("lint", upstream.lint_item(ctx.tree))]


class Step(NamedTuple):
    """One step of the checklist, and which releases take it."""

    make: Callable[[Context], list[Item]]
    applies: Callable[[Context], bool]


def _upstream(ctx: Context) -> bool:
    return ctx.upstream


def _vendor(ctx: Context) -> bool:
    return not ctx.upstream


def _every(ctx: Context) -> bool:
    return True


def _based_on_upstream(ctx: Context) -> bool:
    return not ctx.upstream and any(f.spec.base is Base.UPSTREAM for f in ctx.families)


def _own_chain(ctx: Context) -> bool:
    return not ctx.upstream and not _based_on_upstream(ctx)


# in the order the checklist says them
STEPS = (
    Step(upstream.arrays, _upstream),
    Step(upstream.families, _upstream),
    Step(vendor.families, _vendor),
    Step(upstream.latest, _upstream),
    Step(vendor.upstream_base, _based_on_upstream),
    Step(vendor.rebase, _own_chain),
    Step(check, _every),
    Step(lint, _every),
    Step(upstream.checkpatch, _upstream),
    Step(upstream.lifecycle, _upstream),
    Step(upstream.docs, _upstream),
    Step(upstream.prove, _upstream),
    Step(upstream.send, _upstream),
    Step(vendor.older_majors, _vendor),
    Step(vendor.built, _vendor),
)


def context(tree: QemuTree, text: str | None) -> Context:
    """The release the checklist is for, and the families of its kind: a vendor's when
    `text` names one of its releases, or, with none named, on a tree that registers a
    vendor's types; else upstream's next release."""
    from scaffold.errors import UsageError
    from scaffold.reading.family_files import parse_version
    from scaffold.reading.reader import read_machines

    machines = read_machines(tree)
    target = parse_version(tree, text) if text is not None else None
    if target is None and (text is not None or not machines.vendors):
        version = Version.parse(text) if text else upstream.default_version(
            tree, machines.upstream)
        return Context(tree, version, list(machines.upstream))
    families = [f for f in machines.vendors if target is None or f.spec.vendor == target.vendor]
    if not families:
        name = target.vendor if target else "vendor"
        raise UsageError(f"checklist {target}: this tree registers no {name} machine types "
                         "(`qscaffold machines` lists the families it reads)")
    return Context(tree, target or max(f.newest.version for f in families), list(families))


def build(ctx: Context) -> list[Item]:
    return [item for step in STEPS if step.applies(ctx) for item in step.make(ctx)]


def render(ctx: Context, items: list[Item]) -> str:
    target = ctx.target
    head = f"## Start of the {target} cycle: hw: add compat machines for {target}" \
        if ctx.upstream else f"## {target}: the distribution's machine types"
    return "\n".join([head, ""] + [item.markdown() for item in items]) + "\n"


def as_json(target: Version | DownstreamVersion, items: list[Item]) -> dict[str, Any]:
    return {"version": str(target),
            "items": [{"id": i.id, "done": i.done, "text": i.text, "details": i.details}
                      for i in items]}
