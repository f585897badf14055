"""`qscaffold machines`: every versioned machine family the tree holds (reports.py), as
text or JSON."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scaffold.commands.handling import emit_json


@dataclass(eq=False, repr=False)
class MachinesOptions:
    repo: Path | None = None
    families: Path | None = None   # --families FILE: a vendor's families besides the others
    json: bool = False


def run(opts: MachinesOptions) -> int:
    from scaffold.commands.reports import machines as report, open_tree, render_machines

    data = report(open_tree(opts.repo, opts.families))
    if opts.json:
        emit_json(data, "machines")
    else:
        print(render_machines(data), end="")
    return 0
