"""What `compat show` and `compat diff` print: the compat properties a machine type
applies (reading/effective.py), and the differences of two, as text and JSON records."""
from __future__ import annotations

from typing import Any

from scaffold.jsondoc import location
from scaffold.reading.effective import Applied, Effective
from scaffold.reading.tree import QemuTree


def entry_json(e: Applied) -> dict[str, Any]:
    return {"type": e.qom_type, "driver": e.driver, "property": e.prop, "value": e.value,
            "array": e.array, "location": location(e.path, e.line), "added_by": e.added_by,
            "overridden": e.overridden}


def render_show(found: Effective) -> str:
    m = found.machine
    n = len(found.entries)
    lines = [f"{m.name} ({found.target}): {n} compat propert{'y' if n == 1 else 'ies'}, in "
             "the order QEMU applies them"]
    rows = [(str(i), e.qom_type or f"{e.driver} (cannot tell)", e.prop, e.value,
             e.array, f"{e.path}:{e.line}", e.added_by + ("  (overridden below)"
                                                         if e.overridden else ""))
            for i, e in enumerate(found.entries, 1)]
    if rows:
        widths = [max(len(r[i]) for r in rows) for i in range(6)]
        lines += ["  ".join(c.rjust(w) if i == 0 else c.ljust(w)
                            for i, (c, w) in enumerate(zip(r, widths))) + "  " + r[6]
                  for r in rows]
    lines += [f"cannot tell: {c}" for c in found.cannot_tell]
    return "\n".join(lines) + "\n"


def final(found: Effective) -> dict[tuple[str, str], Applied]:
    """(type, property) -> the entry that wins (QEMU applies them in order)."""
    return {e.key: e for e in found.entries if not e.overridden}


def differences(a: Effective, b: Effective) -> tuple[list[Applied], list[Applied],
                                                       list[tuple[Applied, Applied]]]:
    """What A applies that B does not, what B applies that A does not, and the same type
    and property with other values: by the value that wins in each."""
    fa, fb = final(a), final(b)
    only_a = [e for k, e in fa.items() if k not in fb]
    only_b = [e for k, e in fb.items() if k not in fa]
    differ = [(e, fb[k]) for k, e in fa.items() if k in fb and fb[k].value != e.value]
    return only_a, only_b, differ


def vendor_reasons(tree: QemuTree, a: Effective, b: Effective) -> dict[tuple[str, str], str | None]:
    """With one vendor type and one upstream type: each differing (type, property) ->
    why the vendor may differ there (its own entry, or declined), None where nothing
    says so.  Empty for two upstream types or two vendor types."""
    if (a.machine.vendor is None) == (b.machine.vendor is None):
        return {}
    from scaffold.reading.claims import provenance
    from scaffold.reading.declined import read_declined
    from scaffold.rules.vendor_compat import compare

    mine, theirs = (a, b) if a.machine.vendor is not None else (b, a)
    return {d.key: d.allowed for d in compare(mine, theirs, provenance(tree),
                                              read_declined(tree))}


def render_diff(first: str, second: str, only_a: list[Applied], only_b: list[Applied],
                differ: list[tuple[Applied, Applied]],
                allowed: dict[tuple[str, str], str | None] | None = None) -> str:
    if not (only_a or only_b or differ):
        return f"{first} and {second} apply the same compat properties\n"
    allowed = allowed or {}

    def why(key: tuple[str, str]) -> str:
        if not allowed:
            return ""
        return f"   [{allowed[key]}]" if allowed.get(key) else "   [upstream's: neither the " \
            "vendor's own nor declined]"

    lines = []
    for title, entries in ((f"only {first} applies", only_a), (f"only {second} applies", only_b)):
        if entries:
            lines.append(f"{title} ({len(entries)}):")
            lines += [f"  {e.qom_type or e.driver} {e.prop} = {e.value}   "
                      f"({e.array}, {e.path}:{e.line}){why(e.key)}" for e in entries]
    if differ:
        lines.append(f"both apply, with other values ({len(differ)}):")
        lines += [f"  {x.qom_type or x.driver} {x.prop}: {first} {x.value} ({x.array}), "
                  f"{second} {y.value} ({y.array}){why(x.key)}" for x, y in differ]
    if allowed:
        unexplained = sum(1 for v in allowed.values() if v is None)
        lines.append(f"{unexplained} difference{'s are' if unexplained != 1 else ' is'} neither "
                     "the vendor's own nor declined (`qscaffold check`: C110, C111)"
                     if unexplained else "every difference is the vendor's own or declined")
    return "\n".join(lines) + "\n"
