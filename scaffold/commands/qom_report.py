"""`qscaffold qom TYPE` / `qom --property NAME` and `qscaffold lint`: the QOM model of the
tree, as the question a developer asks before writing a compat entry, and every entry
checked against it."""
from __future__ import annotations

from pathlib import Path

from scaffold.jsondoc import where
from typing import Any

from scaffold.errors import UsageError
from scaffold.rules.baseline import Split
from scaffold.rules.registry import Finding
from scaffold.reading.qom import model as qom_model
from scaffold.reading.qom.model import Prop, QomModel


def load(root: Path) -> QomModel:
    return qom_model.load(root)


def _prop_json(owner: str, p: Prop) -> dict[str, Any]:
    return {"name": p.name, "kind": p.kind, "default": p.default, "defined_in": owner,
            "location": where(str(p.where)), "alias_of": str(p.alias_of) if p.alias_of else None,
            "condition": [str(c) for c in p.cond]}


def type_report(model: QomModel, name: str) -> dict[str, Any]:
    names = model.resolve(name) if name.startswith("TYPE_") else [name]
    if not names or names[0] not in model.types:
        close = sorted(t for t in model.types if name.lower() in t.lower())[:8]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        told = " (the model cannot tell how it is registered)" if name in model.names else ""
        raise UsageError(f"no type {name} in the model{told}{hint}")
    qt = model.types[names[0]]
    props = model.all_properties(qt.name)
    return {"type": qt.name, "location": where(str(qt.where)), "abstract": qt.abstract,
            "parents": model.ancestors(qt.name)[1:], "interfaces": qt.interfaces,
            "subtypes": [t for t in model.subtypes(qt.name)],
            "variants": qt.variants, "condition": [str(c) for c in qt.cond],
            "properties": [_prop_json(owner, p) for _, (owner, p) in sorted(props.items())]}


def property_report(model: QomModel, prop: str) -> dict[str, Any]:
    owners = model.owners(prop)
    aliases = sorted(t for t in model.types if prop in model.types[t].props
                     and model.types[t].props[prop].alias_of)
    through = sorted(t for t in model.types if t not in owners and model.property(t, prop))
    return {"property": prop,
            "defined_by": [_prop_json(t, model.types[t].props[prop]) for t in owners],
            "aliased_by": aliases,
            "has_it": through}


def _at(loc: dict[str, Any] | None) -> str:
    if loc is None:
        return "?"
    return f"{loc['path']}:{loc['line']}" if loc["line"] is not None else loc["path"]


def render_type(report: dict[str, Any]) -> str:
    lines = [f"{report['type']}{' (abstract)' if report['abstract'] else ''}  "
             f"{_at(report['location'])}"]
    if report["parents"]:
        lines.append("parents: " + " -> ".join(report["parents"]))
    if report["interfaces"]:
        lines.append("interfaces: " + ", ".join(report["interfaces"]))
    if report["variants"]:
        lines.append("variants: " + ", ".join(report["variants"]))
    subs = report["subtypes"]
    if subs:
        lines.append(f"subtypes ({len(subs)}): " + ", ".join(subs[:12]) +
                     (" ..." if len(subs) > 12 else ""))
    lines.append(f"properties ({len(report['properties'])}):")
    for p in report["properties"]:
        extra = f" = {p['default']}" if p["default"] is not None else ""
        alias = f"  alias of {p['alias_of']}" if p["alias_of"] else ""
        cond = f"  [{' / '.join(p['condition'])}]" if p["condition"] else ""
        lines.append(f"  {p['name']:<32} {p['kind']:<10}{extra:<8} {p['defined_in']}  "
                     f"{_at(p['location'])}{alias}{cond}")
    return "\n".join(lines) + "\n"


def render_property(report: dict[str, Any]) -> str:
    lines = [f"property {report['property']}"]
    if not report["defined_by"] and not report["has_it"]:
        lines.append("  no type in this tree has it")
    for p in report["defined_by"]:
        cond = f"  [{' / '.join(p['condition'])}]" if p["condition"] else ""
        lines.append(f"  defined by {p['defined_in']:<32} {p['kind']:<10} "
                     f"{_at(p['location'])}{cond}")
    if report["aliased_by"]:
        lines.append("  aliased by " + ", ".join(report["aliased_by"]))
    inherit = [t for t in report["has_it"] if t not in report["aliased_by"]]
    if inherit:
        lines.append(f"  {len(inherit)} types have it in all: " + ", ".join(inherit[:20]) +
                     (" ..." if len(inherit) > 20 else ""))
    return "\n".join(lines) + "\n"


def render_lint(findings: list[Finding], model: QomModel, split: Split | None = None,
                baseline: Path | None = None) -> str:
    """The findings, then a summary line; with a baseline (`split`), the known ones are
    said as known and counted apart, and entries that match nothing any more are said."""
    from scaffold.commands.reports import plural

    counts: dict[str, int] = {}
    shown = split.new if split is not None else findings
    for f in shown:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    lines = [str(f) for f in shown]
    summary = ", ".join(plural(n, s) for s, n in counts.items()) or "no findings"
    if split is not None:
        lines += [f"known: {f} ({baseline}:{k.line})" for f, k in split.known]
        lines += [f"{baseline}:{k.line}: {k.code} matches no finding any more: remove it"
                  for k in split.stale]
        summary = (f"{summary.replace('no findings', 'no new findings')} beyond "
                   f"{plural(len(split.known), 'known')} ({baseline})")
    lines.append(f"lint: {summary} ({len(model.types)} types in the model; it cannot tell "
                 f"{len(model.unresolved)} things: `qscaffold qom --unresolved` lists them)")
    return "\n".join(lines) + "\n"
