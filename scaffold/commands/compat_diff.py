"""`qscaffold compat diff A B`: what one machine type applies that the other does not, by
type and property, each difference of a vendor type marked with what allows it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.commands.handling import emit_json


@dataclass(eq=False, repr=False)
class CompatDiffOptions:
    first: str
    second: str
    target: str | None = None
    repo: Path | None = None
    json: bool = False


def run(opts: CompatDiffOptions) -> int:
    from scaffold.commands.compat_report import differences, entry_json, render_diff, vendor_reasons
    from scaffold.jsondoc import document
    from scaffold.reading import effective
    from scaffold.reading.effective import Applied
    from scaffold.reading.tree import QemuTree

    tree = QemuTree.open(opts.repo)
    target = opts.target
    a = effective.compute(tree, effective.find(tree, opts.first, target), target)
    b = effective.compute(tree, effective.find(tree, opts.second, target or a.target),
                          target or a.target)
    only_a, only_b, differ = differences(a, b)
    allowed = vendor_reasons(tree, a, b)
    if not opts.json:
        print(render_diff(opts.first, opts.second, only_a, only_b, differ, allowed), end="")
        return 0

    def why(e: Applied) -> dict[str, Any]:
        return {**entry_json(e), "allowed": allowed.get(e.key)} if allowed else entry_json(e)

    emit_json(document(
        "compat diff", a=opts.first, b=opts.second, target=a.target,
        only_a=[why(e) for e in only_a], only_b=[why(e) for e in only_b],
        differ=[{"type": x.qom_type, "property": x.prop, "a": entry_json(x),
                 "b": entry_json(y)} | ({"allowed": allowed.get(x.key)} if allowed else {})
                for x, y in differ],
        cannot_tell=a.cannot_tell + b.cannot_tell))
    return 0
