"""`qscaffold compat show TYPE`: every compat property a machine type applies, in the order
QEMU applies them (reading/effective.py; compat_report.py prints it)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scaffold.commands.handling import emit_json


@dataclass(eq=False, repr=False)
class CompatShowOptions:
    machine: str
    target: str | None = None
    repo: Path | None = None
    json: bool = False


def run(opts: CompatShowOptions) -> int:
    from scaffold.commands.compat_report import entry_json, render_show
    from scaffold.jsondoc import document
    from scaffold.reading import effective
    from scaffold.reading.tree import QemuTree

    tree = QemuTree.open(opts.repo)
    found = effective.compute(tree, effective.find(tree, opts.machine, opts.target), opts.target)
    if opts.json:
        emit_json(document("compat show", machine=opts.machine, target=found.target,
                           entries=[entry_json(e) for e in found.entries],
                           cannot_tell=found.cannot_tell))
    else:
        print(render_show(found), end="")
    return 0
