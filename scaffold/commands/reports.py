"""`qscaffold machines` and `qscaffold check`: what the tree holds, as text or JSON."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from scaffold.jsondoc import location

from scaffold.reading.machine_types import VendorFamily
from scaffold.reading.reader import latest_holders, read_downstream, read_families
from scaffold.reading.machines import Family, Note, reset_convention
from scaffold.rules.registry import Finding
from scaffold.rules.chain import check_tree, failing, reader_notes
from scaffold.reading.lifecycle import read_policy
from scaffold.version import current_release
from scaffold.reading.tree import QemuTree

STATUS_TEXT = {"supported": "supported", "deprecated": "deprecated",
               "past-deletion": "past deletion, code still present"}


def machines(tree: QemuTree) -> dict[str, Any]:
    families, notes = read_families(tree)
    policy = read_policy(tree)
    current = current_release(tree.version) if tree.version else None
    out: dict[str, Any] = {"tree": str(tree.root), "version": ".".join(map(str, tree.version)) if tree.version else None,
           "policy": {"deprecation_years": policy.deprecation, "deletion_years": policy.deletion,
                      "source": policy.source} if policy else None,
           "families": [], "notes": [n.as_json() for n in reader_notes(notes)]}
    downstream, _ = read_downstream(tree)
    out["dialect"] = _dialect(downstream, notes)
    out["downstream"] = [{
        "name": f.name, "vendor": f.spec.vendor, "file": f.spec.file,
        "described_in": f.spec.source, "newest": str(f.newest.version),
        "alias": next((t.alias for t in f.types if t.latest), None),
        "default": any(t.default for t in f.types), "count": len(f.types),
        "machine_types": [{"name": t.name, "version": str(t.version),
                           "location": location(f.spec.file, t.line),
                           "latest": t.latest, "default": t.default,
                           "upstream": t.upstream_version} for t in f.types]}
        for f in downstream]
    holders = latest_holders(tree)
    for family in families:
        holder = holders.get(family.name)
        handed = holder is not None and not family.newest_block.marks_latest()
        versions = []
        for block in family.blocks:
            status = policy.status(block.version, current) if policy and current else None
            versions.append({"version": str(block.version), "status": status,
                             "location": location(family.file.rel,
                                                  family.file.line(block.start))})
        out["families"].append({
            "name": family.name, "file": family.file.rel,
            "layout": family.layout, "alias_reset": reset_convention(family),
            "newest": str(family.newest.version),
            "alias": None if handed else family.alias(),
            "default": False if handed else family.is_default(),
            "latest_held_by": holder.name if handed and holder else None,
            "bugfix_types": bugfix_types(family),
            "oldest": str(family.blocks[-1].version), "count": len(family.blocks),
            "machine_types": [f"{family.spec.prefix}-{b.version}" for b in family.blocks[:1]],
            "extra_registrations": [{"macro": m, "location": location(family.file.rel, line)}
                                    for m, line in family.extras],
            "versions": versions})
    return out


def _dialect(downstream: list[VendorFamily], notes: list[Note]) -> str:
    """What kind of tree this is, from its code: upstream's, or a vendor's (its own
    registrations live, upstream's compiled out)."""
    if not downstream:
        return "upstream"
    vendors = sorted({f.spec.vendor for f in downstream})
    disabled = sum(1 for n in notes if n.kind == "family-disabled")
    off = (f"; {disabled} upstream famil{'y' if disabled == 1 else 'ies'} compiled out by "
           "`#if 0`") if disabled else ""
    count = f"{len(downstream)} famil{'y' if len(downstream) == 1 else 'ies'}"
    return f"downstream ({', '.join(vendors)}): {count} of the vendor's own machine types{off}"


def finding_text(f: dict[str, Any]) -> str:
    """A finding's JSON (Finding.as_json) as its text line, Finding's own."""
    from scaffold.rules.registry import Finding

    loc = f["location"] or {}
    return str(Finding(f["severity"], f["kind"], f["message"], f["fix"] or "", loc.get("path"),
                       loc.get("line"), f["family"], f["version"]))


def render_machines(report: dict[str, Any]) -> str:
    lines = [f"QEMU tree {report['tree']} (VERSION {report['version'] or 'unknown'})"]
    policy = report["policy"]
    lines.append(f"lifecycle: deprecated after {policy['deprecation_years']} years, deleted after "
                 f"{policy['deletion_years']} ({policy['source']})" if policy else
                 "lifecycle: no versioned machine type policy in this tree (it came in 9.1)")
    lines.append("")
    lines.append(f"{'family':<10} {'file':<28} {'layout':<9} {'newest':<7} {'alias':<16} "
                 f"{'default':<8} {'oldest':<7} {'versions':<9} bugfix types")
    for f in report["families"]:
        lines.append(f"{f['name']:<10} {f['file']:<28} {f['layout']:<9} {f['newest']:<7} "
                     f"{f['alias'] or '-':<16} {'yes' if f['default'] else 'no':<8} "
                     f"{f['oldest']:<7} {f['count']:<9} {', '.join(f['bugfix_types']) or '-'}")
    for f in report["families"]:
        if f.get("latest_held_by"):
            lines.append(f"  {f['name']}: the latest mark, alias and default are on "
                         f"{f['latest_held_by']}, a vendor's type")
    for f in report["families"]:
        if not any(v["status"] for v in f["versions"]):
            continue
        groups: dict[str, list[str]] = {}
        for v in f["versions"]:
            groups.setdefault(v["status"], []).append(v["version"])
        parts = [f"{STATUS_TEXT[s]} {_span(vs)}" for s, vs in groups.items()]
        lines.append(f"  {f['name']}: " + "; ".join(parts))
    if report["downstream"]:
        rows = [(f["name"], f["file"], f["newest"], f["alias"] or "-",
                 "yes" if f["default"] else "no",
                 f"{f['count']}: " + ", ".join(t["name"] + _type_note(t)
                                               for t in f["machine_types"]))
                for f in report["downstream"]]
        head = ("family", "file", "newest", "alias", "default", "machine types")
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
        lines += ["", f"{report['dialect']}", ""]
        for row in [head, *rows]:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[5])
    for note in report["notes"]:
        lines.append(f"note: {finding_text(note)}")
    lines += ["", "default: the newest type is its binary's default machine. "
              "Layouts: see `qscaffold machines --help`."]
    return "\n".join(lines) + "\n"


def _type_note(t: dict[str, Any]) -> str:
    """" (6.2, latest)": the upstream version a vendor type calls, and its latest mark."""
    notes = [n for n in (t.get("upstream"), "latest" if t["latest"] else None) if n]
    return f" ({', '.join(notes)})" if notes else ""


def bugfix_types(family: Family) -> list[str]:
    """Bugfix releases' machine types kept beside the versions (pc-q35-4.0.1)."""
    out = []
    for name in family.helpers:
        for kind in family.spec.kinds:
            m = kind.match_bugfix(name)
            if m and kind.adds_compat:
                out.append(f"{family.spec.prefix}-{m.group('major')}.{m.group('minor')}."
                           f"{m.group('micro')}")
    return sorted(set(out))


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 or word in ("info", "pending", "known") else "s")


def _span(versions: list[str]) -> str:
    return versions[0] if len(versions) == 1 else f"{versions[0]} .. {versions[-1]} ({len(versions)})"


def check(tree: QemuTree, strict: bool = False) -> tuple[list[Finding], int]:
    findings = check_tree(tree)
    return findings, 1 if failing(findings, strict) else 0


def render_check(findings: list[Finding]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    lines = [str(f) for f in findings]
    summary = ", ".join(plural(n, s) for s, n in counts.items()) or "no findings"
    lines.append(f"check: {summary}")
    return "\n".join(lines) + "\n"


def open_tree(repo: Path | None, families: Path | None) -> QemuTree:
    """The tree, with the families file the command line names (`--families`)."""
    from scaffold.reading.family_files import with_families_file

    return with_families_file(QemuTree.open(repo), families)
