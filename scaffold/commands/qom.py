"""`qscaffold qom TYPE` / `--property NAME` / `--unresolved`: what the tree's C source
says about a QOM type or property (qom_report.py), as text or JSON."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold.commands.handling import emit_json
from scaffold.errors import UsageError


@dataclass(eq=False, repr=False)
class QomOptions:
    type_name: str | None = None
    prop: str | None = None
    unresolved: bool = False
    repo: Path | None = None
    json: bool = False


def run(opts: QomOptions) -> int:
    from scaffold.commands import qom_report as q
    from scaffold.reading.tree import QemuTree

    if sum(x is not None and x is not False
           for x in (opts.type_name, opts.prop, opts.unresolved)) != 1:
        raise UsageError("give a TYPE, --property NAME or --unresolved (one of them)")
    model = q.load(QemuTree.locate(opts.repo))
    report: dict[str, Any]
    if opts.unresolved:
        from scaffold.jsondoc import located

        report = {"cannot_tell": [located(u) for u in model.unresolved]}
        text = "\n".join(model.unresolved) + "\n"
    elif opts.prop is not None:
        report = q.property_report(model, opts.prop)
        text = q.render_property(report)
    else:
        assert opts.type_name is not None
        report = q.type_report(model, opts.type_name)
        text = q.render_type(report)
    if opts.json:
        emit_json(report, "qom")
    else:
        print(text, end="")
    return 0
