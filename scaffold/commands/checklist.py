"""`qscaffold checklist [VERSION]`: the cycle-start checklist as Markdown task items,
ticked from the tree's state: upstream's (checklist_upstream.py), or a distribution's for
its own release (checklist_downstream.py) on a tree that registers its types."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scaffold.commands.handling import emit_json


@dataclass(eq=False, repr=False)
class ChecklistOptions:
    version: str | None = None   # 11.0, rhel9.4.0, ubuntu-kinetic (default: the next)
    repo: Path | None = None
    families: Path | None = None
    json: bool = False


def run(opts: ChecklistOptions) -> int:
    from scaffold.commands import checklist_downstream as downstream, checklist_upstream as upstream
    from scaffold.commands.reports import open_tree
    from scaffold.reading.families import parse_version
    from scaffold.reading.downstream import read_downstream
    from scaffold.version import Version

    tree = open_tree(opts.repo, opts.families)
    vendor = parse_version(tree, opts.version) if opts.version is not None else None
    if vendor is not None or (opts.version is None and read_downstream(tree)[0]):
        mine, items = downstream.build(tree, vendor)
        text = downstream.render(mine, items)
        data = upstream.as_json(mine, items)
    else:
        found, items = upstream.build(tree, Version.parse(opts.version) if opts.version else None)
        text = upstream.render(found, items)
        data = upstream.as_json(found, items)
    if opts.json:
        emit_json(data, "checklist")
    else:
        print(text, end="")
    return 0
